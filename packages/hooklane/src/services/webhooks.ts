import { randomUUID } from 'node:crypto';
import { contentIdOf, findEventType } from '../core/catalog.ts';
import { HooklaneError, notFound } from '../core/errors.ts';
import { finaliseEvent } from '../core/event-envelope.ts';
import { ID_PREFIX, newId } from '../core/ids.ts';
import type { Delivery, PayloadFormat, StoredSecret, Webhook, WebhookTrigger } from '../core/model.ts';
import { generateWebhookSecret } from '../core/secrets.ts';
import { checkStaticHeaders, openHeaderValues, sealHeaderValues } from '../core/static-headers.ts';
import { checkWebhookUrl } from '../core/url-policy.ts';
import type { Page, WebhookChanges } from '../store/store.ts';
import type { ServiceContext } from './context.ts';

/** What an admin sends to create a webhook (camelCase; the HTTP layer maps snake_case). */
export interface WebhookInput {
  readonly name: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly filters?: { readonly contentIds?: readonly string[] | null | undefined } | undefined;
  readonly format?: PayloadFormat | undefined;
  readonly batchWindowMs?: number | undefined;
  /** Omitted: generated. A string: used as given. null: the webhook is unsigned. */
  readonly secret?: string | null | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly enabled?: boolean | undefined;
  readonly trigger?: WebhookTrigger | null | undefined;
}

export type WebhookPatch = Partial<Omit<WebhookInput, 'secret'>>;

/** Webhooks: subscriptions, their secrets, and the `test` action. */
export function createWebhookService(ctx: ServiceContext) {
  const { store, config, secretBox, bus, now } = ctx;

  const checkUrl = (url: string): string => {
    const verdict = checkWebhookUrl(url, { allowPrivateNetworks: config.allowPrivateNetworks });
    if (!verdict.ok)
      throw new HooklaneError('unsafe_url', `The webhook URL is not allowed: ${verdict.reason}.`, {
        field: 'url',
      });
    return verdict.url.href;
  };

  const seal = (secret: string): StoredSecret => ({
    sealed: secretBox.seal(secret),
    createdAt: now(),
    expiresAt: null,
  });

  /** The webhook with its static header values in clear (the store keeps them sealed). */
  const opened = (webhook: Webhook): Webhook => ({
    ...webhook,
    headers: openHeaderValues(webhook.headers, secretBox),
  });

  const find = async (accountId: string, id: string): Promise<Webhook> => {
    const webhook = await store.getWebhook(accountId, id);
    if (!webhook) throw notFound('Webhook');
    return webhook;
  };

  /** A trigger names one webhook of its account: the browser's data goes to one place. */
  const checkTrigger = async (
    accountId: string,
    trigger: WebhookTrigger | null | undefined,
    self: string | null,
  ): Promise<WebhookTrigger | null | undefined> => {
    if (!trigger) return trigger;
    for (let before: string | null = null; ; ) {
      const page: Webhook[] = await store.listWebhooks(accountId, { before, limit: 250 });
      const taken = page.find((webhook) => webhook.id !== self && webhook.trigger?.name === trigger.name);
      if (taken) {
        throw new HooklaneError(
          'conflict',
          `Webhook ${taken.id} is already the target of the trigger "${trigger.name}".`,
          { field: 'trigger' },
        );
      }
      if (page.length < 250) break;
      before = page[page.length - 1]?.id ?? null;
    }
    return { name: trigger.name, fields: [...new Set(trigger.fields)] };
  };

  return {
    /** Creates a webhook; the response is the only time a generated secret is shown besides `secret`. */
    async create(
      accountId: string,
      input: WebhookInput,
    ): Promise<{ webhook: Webhook; secret: string | null }> {
      const url = checkUrl(input.url);
      const trigger = (await checkTrigger(accountId, input.trigger, null)) ?? null;
      const secret = input.secret === undefined ? generateWebhookSecret() : input.secret;
      const at = now();
      const webhook: Webhook = {
        id: newId(ID_PREFIX.webhook, at),
        accountId,
        name: input.name,
        url,
        events: [...new Set(input.events)],
        filters: { contentIds: input.filters?.contentIds ? [...input.filters.contentIds] : null },
        format: input.format ?? 'appcues',
        batchWindowMs: input.batchWindowMs ?? 0,
        headers: checkStaticHeaders(input.headers ?? {}),
        enabled: input.enabled ?? true,
        disabledReason: input.enabled === false ? 'created disabled' : null,
        failingSince: null,
        signed: secret !== null,
        createdAt: at,
        updatedAt: at,
        trigger,
      };
      await store.insertWebhook(
        { ...webhook, headers: sealHeaderValues(webhook.headers, secretBox) },
        secret === null ? null : seal(secret),
      );
      return { webhook, secret };
    },

    /** A webhook, its static header values in clear: the API masks them for those who may not read them. */
    async get(accountId: string, id: string): Promise<Webhook> {
      return opened(await find(accountId, id));
    },

    async list(accountId: string, page: Page): Promise<Webhook[]> {
      return (await store.listWebhooks(accountId, page)).map(opened);
    },

    /**
     * Merge-patch: fields left out stay as they are, as the store has them when the write
     * commits (a result written meanwhile may have started a failure streak or disabled the
     * webhook). Re-enabling a disabled webhook clears its failure streak.
     */
    async update(accountId: string, id: string, patch: WebhookPatch): Promise<Webhook> {
      await find(accountId, id);
      const changes: WebhookChanges = {
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.url !== undefined && { url: checkUrl(patch.url) }),
        ...(patch.events !== undefined && { events: [...new Set(patch.events)] }),
        ...(patch.filters !== undefined && {
          filters: { contentIds: patch.filters.contentIds ? [...patch.filters.contentIds] : null },
        }),
        ...(patch.format !== undefined && { format: patch.format }),
        ...(patch.batchWindowMs !== undefined && { batchWindowMs: patch.batchWindowMs }),
        ...(patch.headers !== undefined && {
          headers: sealHeaderValues(checkStaticHeaders(patch.headers), secretBox),
        }),
        ...(patch.enabled !== undefined && { enabled: patch.enabled }),
        ...(patch.trigger !== undefined && { trigger: await checkTrigger(accountId, patch.trigger, id) }),
      };
      const updated = await store.updateWebhook(accountId, id, changes, now());
      if (!updated) throw notFound('Webhook');
      if (changes.enabled) bus.workAvailable();
      return opened(updated);
    },

    async delete(accountId: string, id: string): Promise<void> {
      if (!(await store.deleteWebhook(accountId, id, now()))) throw notFound('Webhook');
    },

    /** The newest secret in clear (admins only), or null for an unsigned webhook. */
    async secret(accountId: string, id: string): Promise<string | null> {
      await find(accountId, id);
      const [newest] = await store.listSecrets(id, now());
      return newest ? secretBox.open(newest.sealed) : null;
    },

    /**
     * Makes a new secret the signing one; the previous ones keep verifying (and are listed
     * in `webhook-signature`) for the grace period. `secret: null` stops signing at once.
     */
    async rotateSecret(
      accountId: string,
      id: string,
      secret: string | null | undefined,
      graceMs?: number,
    ): Promise<{ secret: string | null; previousValidUntil: number }> {
      await find(accountId, id);
      const next = secret === undefined ? generateWebhookSecret() : secret;
      const graceUntil = next === null ? now() : now() + (graceMs ?? config.secretGraceMs);
      await store.replaceSecret(id, next === null ? null : seal(next), graceUntil, now());
      return { secret: next, previousValidUntil: graceUntil };
    },

    /** Sends the catalog sample of a type (fresh id, this account) to this webhook only. */
    async test(accountId: string, id: string, typeId: string): Promise<Delivery> {
      const webhook = await find(accountId, id);
      const type = findEventType(typeId);
      if (!type)
        throw new HooklaneError(
          'validation_failed',
          `Unknown event type "${typeId}"; see GET /v1/event-types.`,
          { field: 'event_type' },
        );
      if (!webhook.enabled)
        throw new HooklaneError('conflict', 'The webhook is disabled; enable it before testing.');
      const at = now();
      const sample: Record<string, unknown> = {
        ...type.sample,
        id: randomUUID(),
        account_id: accountId,
        timestamp: at,
      };
      const final = finaliseEvent(sample, accountId, at, randomUUID);
      const delivery = await store.insertTestDelivery(
        webhook,
        {
          id: final.id,
          name: String(sample.name),
          typeId: type.id,
          userId: String(sample.user_id),
          contentId: contentIdOf(type, sample),
          occurredAt: final.occurredAt,
          body: final.body,
        },
        at,
      );
      bus.workAvailable();
      return delivery;
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
