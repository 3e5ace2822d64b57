import { randomUUID } from 'node:crypto';
import { secretsRefusal } from '../core/capabilities.ts';
import { contentIdOf, findEventType } from '../core/catalog.ts';
import { type PresetFormat, presetTemplate } from '../core/destination-presets.ts';
import { HooklaneError, notFound } from '../core/errors.ts';
import { finaliseEvent } from '../core/event-envelope.ts';
import { payloadFilterOf } from '../core/fan-out.ts';
import { ID_PREFIX, newId } from '../core/ids.ts';
import type {
  Delivery,
  PayloadFormat,
  StoredEvent,
  StoredSecret,
  Webhook,
  WebhookTrigger,
} from '../core/model.ts';
import { manuallyDisabled } from '../core/operational-events.ts';
import { type JsonObject, matches, parseFilter } from '../core/payload-filter.ts';
import { bodyCarriesSecret, isTemplated, renderDeliveryBody } from '../core/payload-formats.ts';
import { parseTemplate, type TemplateDefinition } from '../core/payload-template.ts';
import { generateWebhookSecret } from '../core/secrets.ts';
import { checkStaticHeaders, openHeaderValues, sealHeaderValues } from '../core/static-headers.ts';
import { checkWebhookUrl } from '../core/url-policy.ts';
import type { Page, Store, WebhookChanges } from '../store/store.ts';
import type { ServiceContext } from './context.ts';

/** What an admin sends to create a webhook (camelCase; the HTTP layer maps snake_case). */
export interface WebhookInput {
  readonly name: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly filters?:
    | {
        readonly contentIds?: readonly string[] | null | undefined;
        /** A payload filter (core/payload-filter.ts); null removes it, undefined leaves it. */
        readonly match?: unknown;
      }
    | undefined;
  readonly format?: PayloadFormat | undefined;
  /** For `format: "template"`: the template (core/payload-template.ts). */
  readonly template?: unknown;
  readonly batchWindowMs?: number | undefined;
  /** Omitted: generated. A string: used as given. null: the webhook is unsigned. */
  readonly secret?: string | null | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly enabled?: boolean | undefined;
  readonly trigger?: WebhookTrigger | null | undefined;
}

export type WebhookPatch = Partial<Omit<WebhookInput, 'secret'>>;

/** What a preview renders: a webhook's would-be filter, format and template. */
export interface PreviewInput {
  /** Events as a sender sends them; left out: the account's last {@link PREVIEW_EVENTS}. */
  readonly events?: readonly Record<string, unknown>[] | undefined;
  readonly match?: unknown;
  readonly format: PayloadFormat;
  readonly template?: unknown;
}

export interface PreviewItem {
  readonly eventId: string | null;
  readonly name: string | null;
  readonly matches: boolean;
  readonly contentType: string | null;
  readonly body: string | null;
  readonly error: string | null;
}

/** How many of the account's events a preview renders when none are given. */
export const PREVIEW_EVENTS = 20;

/** What `{{$secret}}` shows in a preview: the real secret belongs to a webhook not yet saved. */
export const PREVIEW_SECRET = '<the webhook secret>';

/**
 * A payload filter as given (undefined: left as it is; null: none), parsed to check it; a
 * 400 whose details name each bad path (`body/filters/match/...`) and operator.
 */
function checkMatch(match: unknown): JsonObject | null | undefined {
  if (match === undefined || match === null) return match;
  const parsed = parseFilter(match);
  if (parsed.ok) return match as JsonObject;
  throw invalidAt('filters.match', 'body/filters/match', parsed.problems);
}

/** The 400 for problems found inside one field: each problem's path under `at`, the first in the message. */
function invalidAt(
  field: string,
  at: string,
  problems: readonly { readonly path: string; readonly message: string }[],
): HooklaneError {
  const details = problems.map((problem) => ({ path: `${at}${problem.path}`, message: problem.message }));
  const first = details[0];
  return new HooklaneError(
    'validation_failed',
    `Invalid ${field}: ${first?.path}: ${first?.message}`,
    details,
  );
}

/** The template a webhook of `format` keeps: required for `template`, refused for any other format. */
function checkTemplate(format: PayloadFormat, template: unknown): TemplateDefinition | null | undefined {
  if (format !== 'template') {
    if (template === undefined || template === null) return template;
    throw new HooklaneError(
      'validation_failed',
      `A template is used only with "format": "template", not "${format}".`,
      [{ path: 'body/template', message: 'only with format "template"' }],
    );
  }
  if (template === undefined || template === null) {
    throw new HooklaneError(
      'validation_failed',
      'The template format needs a template: {"body": ..., "content_type"?: ...}.',
      [{ path: 'body/template', message: 'required with format "template"' }],
    );
  }
  const parsed = parseTemplate(template);
  if (parsed.ok) return parsed.template.definition;
  throw invalidAt('template', 'body/template', parsed.problems);
}

function sheetsNeedSecret(): HooklaneError {
  return new HooklaneError(
    'validation_failed',
    "The google_sheets format sends the webhook's secret as `token`, so the webhook needs one: leave `secret` out to have one generated.",
    [{ path: 'body/secret', message: 'required with format "google_sheets"' }],
  );
}

/** The account's webhook that the trigger `name` reaches, other than `except`, if there is one. */
export async function triggerTarget(
  store: Store,
  accountId: string,
  name: string,
  except: string | null = null,
): Promise<Webhook | undefined> {
  for (let before: string | null = null; ; ) {
    const page: Webhook[] = await store.listWebhooks(accountId, { before, limit: 250 });
    const found = page.find((webhook) => webhook.id !== except && webhook.trigger?.name === name);
    if (found || page.length < 250) return found;
    before = page[page.length - 1]?.id ?? null;
  }
}

/** Who asks for a webhook's create or edit: whether it may read secrets and static header values. */
export interface Caller {
  readonly seesSecrets: boolean;
}
const SEES_SECRETS: Caller = { seesSecrets: true };

/** A caller that may not read secrets must not get them through a delivery (core/capabilities.ts). */
function refuseUnseenSecrets(reason: string | undefined): void {
  if (reason === undefined) return;
  throw new HooklaneError(
    'forbidden',
    `Only a caller that may read secrets can ${reason}: this portal session needs the read_secrets capability.`,
  );
}

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
    const taken = await triggerTarget(store, accountId, trigger.name, self);
    if (taken) {
      throw new HooklaneError(
        'conflict',
        `Webhook ${taken.id} is already the target of the trigger "${trigger.name}".`,
        { field: 'trigger' },
      );
    }
    return { name: trigger.name, fields: [...new Set(trigger.fields)] };
  };

  return {
    /** Creates a webhook; the response is the only time a generated secret is shown besides `secret`. */
    async create(
      accountId: string,
      input: WebhookInput,
      caller: Caller = SEES_SECRETS,
    ): Promise<{ webhook: Webhook; secret: string | null }> {
      const url = checkUrl(input.url);
      const trigger = (await checkTrigger(accountId, input.trigger, null)) ?? null;
      const secret = input.secret === undefined ? generateWebhookSecret() : input.secret;
      const format = input.format ?? 'appcues';
      const match = checkMatch(input.filters?.match);
      const template = checkTemplate(format, input.template);
      if (format === 'google_sheets' && secret === null) throw sheetsNeedSecret();
      if (!caller.seesSecrets) {
        const sent = { url, secretInBody: bodyCarriesSecret(format, template), othersHeaders: false };
        refuseUnseenSecrets(secretsRefusal(null, sent, input.secret !== undefined));
      }
      const at = now();
      const webhook: Webhook = {
        id: newId(ID_PREFIX.webhook, at),
        accountId,
        name: input.name,
        url,
        events: [...new Set(input.events)],
        filters: {
          contentIds: input.filters?.contentIds ? [...input.filters.contentIds] : null,
          match: match ?? null,
        },
        format,
        template: template ?? null,
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
    async update(
      accountId: string,
      id: string,
      patch: WebhookPatch,
      caller: Caller = SEES_SECRETS,
    ): Promise<Webhook> {
      const current = await find(accountId, id);
      const match = checkMatch(patch.filters?.match);
      const format = patch.format ?? current.format;
      // A template is kept while the format stays `template`, and dropped when it changes.
      const template =
        format !== 'template'
          ? checkTemplate(format, patch.template)
          : patch.template !== undefined
            ? checkTemplate(format, patch.template)
            : checkTemplate(format, current.template ?? undefined);
      if (format === 'google_sheets' && !current.signed) throw sheetsNeedSecret();
      if (!caller.seesSecrets) {
        const hasHeaders = Object.keys(current.headers).length > 0;
        const before = {
          url: current.url,
          secretInBody: current.signed && bodyCarriesSecret(current.format, current.template),
          othersHeaders: hasHeaders,
        };
        const after = {
          url: patch.url ?? current.url,
          secretInBody: current.signed && bodyCarriesSecret(format, template),
          othersHeaders: patch.headers === undefined && hasHeaders,
        };
        refuseUnseenSecrets(secretsRefusal(before, after, false));
      }
      const changes: WebhookChanges = {
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.url !== undefined && { url: checkUrl(patch.url) }),
        ...(patch.events !== undefined && { events: [...new Set(patch.events)] }),
        ...(patch.filters !== undefined && {
          filters: {
            // A patch of `match` alone keeps the content ids (`filters: {}` clears them, as before).
            contentIds:
              patch.filters.contentIds === undefined && match !== undefined
                ? current.filters.contentIds
                : patch.filters.contentIds
                  ? [...patch.filters.contentIds]
                  : null,
            ...(match !== undefined && { match }),
          },
        }),
        ...((patch.format !== undefined || patch.template !== undefined) && { template: template ?? null }),
        ...(patch.format !== undefined && { format: patch.format }),
        ...(patch.batchWindowMs !== undefined && { batchWindowMs: patch.batchWindowMs }),
        ...(patch.headers !== undefined && {
          headers: sealHeaderValues(checkStaticHeaders(patch.headers), secretBox),
        }),
        ...(patch.enabled !== undefined && { enabled: patch.enabled }),
        ...(patch.trigger !== undefined && { trigger: await checkTrigger(accountId, patch.trigger, id) }),
      };
      const at = now();
      const updated = await store.updateWebhook(accountId, id, changes, at);
      if (!updated) throw notFound('Webhook');
      if (current.enabled && !updated.enabled && patch.enabled === false) {
        // Told after the edit commits, not with it: a crash in between loses this one event.
        const event = manuallyDisabled(updated, randomUUID(), at);
        if ((await store.ingest(accountId, [event], at)).deliveriesCreated > 0) bus.workAvailable();
      }
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
      const webhook = await find(accountId, id);
      const next = secret === undefined ? generateWebhookSecret() : secret;
      if (next === null && webhook.format === 'google_sheets') throw sheetsNeedSecret();
      const graceUntil = next === null ? now() : now() + (graceMs ?? config.secretGraceMs);
      await store.replaceSecret(id, next === null ? null : seal(next), graceUntil, now());
      return { secret: next, previousValidUntil: graceUntil };
    },

    /**
     * Renders a would-be webhook's body for the given events or the account's last ones, and
     * says which its payload filter lets through: nothing is stored or sent.
     */
    async preview(
      accountId: string,
      input: PreviewInput,
    ): Promise<{ template: TemplateDefinition | null; items: PreviewItem[] }> {
      const match = checkMatch(input.match);
      const template = checkTemplate(input.format, input.template) ?? null;
      const filter = match ? payloadFilterOf({ contentIds: null, match }) : null;
      const at = now();
      const events: StoredEvent[] = input.events
        ? input.events.map((raw) => {
            const final = finaliseEvent(raw, accountId, at, randomUUID);
            return {
              accountId,
              id: final.id,
              name: typeof raw.name === 'string' ? raw.name : '',
              typeId: null,
              userId: typeof raw.user_id === 'string' ? raw.user_id : '',
              contentId: null,
              occurredAt: final.occurredAt,
              ingestedAt: at,
              body: final.body,
            };
          })
        : await store.latestEvents(accountId, { limit: PREVIEW_EVENTS });
      const items = events.map((event): PreviewItem => {
        const json: unknown = JSON.parse(event.body);
        const rendered = renderDeliveryBody(
          input.format,
          { name: 'preview', template },
          [event],
          PREVIEW_SECRET,
        );
        return {
          eventId: event.id,
          name: event.name,
          matches: filter === null || (filter !== undefined && matches(filter, json)),
          contentType: rendered.ok ? rendered.contentType : null,
          body: rendered.ok ? rendered.body : null,
          error: rendered.ok ? null : rendered.error,
        };
      });
      const first = events[0] === undefined ? undefined : (JSON.parse(events[0].body) as unknown);
      const shown =
        input.format === 'template'
          ? template
          : isTemplated(input.format)
            ? presetTemplate(input.format as PresetFormat, { event: first })
            : null;
      return { template: shown, items };
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
