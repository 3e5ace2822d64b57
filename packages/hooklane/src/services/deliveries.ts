import { HooklaneError, notFound } from '../core/errors.ts';
import type { Attempt, Delivery } from '../core/model.ts';
import { isTemplated, renderDeliveryBody } from '../core/payload-formats.ts';
import type { DeliveryFilter, Page } from '../store/store.ts';
import type { ServiceContext } from './context.ts';

export interface DeliveryDetail {
  readonly delivery: Delivery;
  readonly attempts: readonly Attempt[];
  /** The request body every attempt sends (built from the stored events, identical each time). */
  readonly body: string | null;
  readonly eventIds: readonly string[];
}

/** The operator's view of deliveries: list, inspect, retry, recover. */
export function createDeliveryService({ store, bus, now }: ServiceContext) {
  const enabledWebhook = async (accountId: string, webhookId: string) => {
    const webhook = await store.getWebhook(accountId, webhookId);
    if (!webhook) throw new HooklaneError('conflict', 'The webhook of this delivery was deleted.');
    if (!webhook.enabled) throw new HooklaneError('conflict', 'The webhook is disabled; enable it first.');
    return webhook;
  };
  // Recovering addresses the webhook itself: a missing one (or another account's) is 404, not 409.
  const recoverableWebhook = async (accountId: string, webhookId: string) => {
    if (!(await store.getWebhook(accountId, webhookId))) throw notFound('Webhook');
    return enabledWebhook(accountId, webhookId);
  };

  return {
    list(accountId: string, filter: DeliveryFilter, page: Page): Promise<Delivery[]> {
      return store.listDeliveries(accountId, filter, page);
    },

    async get(accountId: string, id: string): Promise<DeliveryDetail> {
      const found = await store.getDeliveryWithAttempts(accountId, id);
      if (!found) throw notFound('Delivery');
      const { delivery, attempts } = found;
      const events = await store.eventsOfDelivery(delivery);
      // A template renders with the webhook's template as it is now; its secret is not shown.
      const webhook = isTemplated(delivery.format)
        ? await store.getWebhook(accountId, delivery.webhookId)
        : null;
      const rendered =
        events.length > 0
          ? renderDeliveryBody(
              delivery.format,
              { name: delivery.webhookName, template: webhook?.template },
              events,
              '[hidden]',
            )
          : null;
      return {
        delivery,
        attempts,
        body: rendered?.ok ? rendered.body : null,
        eventIds: events.map((event) => event.id),
      };
    },

    /** Sends a delivery again now, whatever its status, as one more attempt. */
    async retry(accountId: string, id: string): Promise<Delivery> {
      const delivery = await store.getDelivery(accountId, id);
      if (!delivery) throw notFound('Delivery');
      await enabledWebhook(accountId, delivery.webhookId);
      const retried = await store.retryDelivery(accountId, id, now());
      if (!retried) throw notFound('Delivery');
      bus.workAvailable();
      return retried;
    },

    /** Re-queues a webhook's failed deliveries created in [since, until). */
    async recover(
      accountId: string,
      webhookId: string,
      since: number,
      until: number | undefined,
    ): Promise<number> {
      await recoverableWebhook(accountId, webhookId);
      const count = await store.recoverDeliveries(accountId, webhookId, since, until ?? now() + 1, now());
      if (count > 0) bus.workAvailable();
      return count;
    },

    /** `recover`'s dry run: how many it would re-queue now, refused as it would be; changes nothing. */
    async countRecoverable(
      accountId: string,
      webhookId: string,
      since: number,
      until: number | undefined,
    ): Promise<number> {
      await recoverableWebhook(accountId, webhookId);
      return store.countRecoverable(accountId, webhookId, since, until ?? now() + 1);
    },
  };
}

export type DeliveryService = ReturnType<typeof createDeliveryService>;
