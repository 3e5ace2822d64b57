import { type TSchema, Type } from '@sinclair/typebox';
import { CAPABILITIES } from '../core/capabilities.ts';
import { DELIVERY_STATUSES, PAYLOAD_FORMATS, ROLES } from '../core/model.ts';

/** TypeBox schemas of the API: request validation and the OpenAPI document both come from these. */

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z]+_[0-9a-z]+$' });
const Time = Type.String({ format: 'date-time', description: 'ISO 8601' });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'Error' },
);

export const AccountParams = Type.Object({ acc: Id });
export const AccountObjectParams = Type.Object({ acc: Id, id: Id });
export const NoQuery = Type.Object({}, { additionalProperties: false });
export const PageQuery = Type.Object(
  {
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50 })),
  },
  { additionalProperties: false },
);

export const CreateAccountBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export const AccountResponse = Type.Object({ id: Type.String(), name: Type.String(), created_at: Time });

const BucketRateSchema = Type.Object(
  {
    per_second: Type.Number({ exclusiveMinimum: 0, maximum: 10_000 }),
    burst: Type.Integer({ minimum: 1, maximum: 100_000 }),
  },
  { additionalProperties: false },
);
const KeyOrigins = Type.Array(Type.String({ minLength: 1, maxLength: 300 }), {
  minItems: 1,
  maxItems: 100,
  description: 'Publishable keys: the origins (https://app.example.com) of the pages that may use the key',
});
const KeyEvents = Nullable(
  Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
    maxItems: 500,
    description:
      'Publishable keys: event names or catalog type ids it may send, ["*"] for any, and trigger:<name> or trigger:* for triggers; null (the default): the catalog\'s types and no triggers',
  }),
);
const KeyRateLimit = Type.Object(
  { per_key: Type.Optional(BucketRateSchema), per_client: Type.Optional(BucketRateSchema) },
  {
    additionalProperties: false,
    description:
      'Publishable keys: requests per second and burst, for the key and for each client address (token buckets)',
  },
);

export const CreateKeyBody = Type.Object(
  {
    role: Type.Union(ROLES.map((role) => Type.Literal(role))),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    origins: Type.Optional(KeyOrigins),
    events: Type.Optional(KeyEvents),
    rate_limit: Type.Optional(KeyRateLimit),
  },
  { additionalProperties: false },
);
export const UpdateKeyBody = Type.Object(
  {
    origins: Type.Optional(KeyOrigins),
    events: Type.Optional(KeyEvents),
    rate_limit: Type.Optional(KeyRateLimit),
  },
  { additionalProperties: false, minProperties: 1 },
);
export const KeyResponse = Type.Object({
  id: Type.String(),
  role: Type.String(),
  name: Nullable(Type.String()),
  prefix: Type.String({ description: 'The first characters of the key, to recognise it' }),
  created_at: Time,
  revoked_at: Nullable(Time),
  key: Type.Optional(Type.String({ description: 'The key itself: only in the create response' })),
  origins: Type.Optional(Type.Array(Type.String())),
  events: Type.Optional(Nullable(Type.Array(Type.String()))),
  rate_limit: Type.Optional(
    Type.Object({
      per_key: Type.Object({ per_second: Type.Number(), burst: Type.Integer() }),
      per_client: Type.Object({ per_second: Type.Number(), burst: Type.Integer() }),
    }),
  ),
});

export const MeResponse = Type.Object({
  key_id: Type.String({
    description: 'The calling key\'s id ("root" for a root key set by HOOKLANE_ROOT_KEY)',
  }),
  role: Type.Union([Type.Literal('root'), ...ROLES.map((role) => Type.Literal(role))]),
  account_id: Nullable(Type.String({ description: "The key's account; null for the root key" })),
  name: Nullable(Type.String({ description: "The key's label, if it has one" })),
});
export const RootKeyResponse = Type.Object({
  key: Type.String({ description: 'The new root key: shown this once' }),
});

const EventNames = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
  minItems: 1,
  maxItems: 100,
  description: 'Catalog type ids, custom event names, or ["*"]',
});
const Match = Type.Unknown({
  description:
    'A payload filter: a JSON condition over the event, e.g. {"name": "appcues:nps_score", "attributes.score": {"$lte": 6}}. Paths in dot notation; operators $eq $neq $gt $gte $lt $lte $in $nin $exists $startsWith $endsWith $contains, combined with $and $or $not. null removes it. A bad filter is refused with a 400 naming the path and operator (docs/destinations.md).',
});
const Filters = Type.Object(
  {
    content_ids: Type.Optional(
      Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 })),
    ),
    match: Type.Optional(Match),
  },
  { additionalProperties: false },
);
const Format = Type.Union(
  PAYLOAD_FORMATS.map((format) => Type.Literal(format)),
  {
    description:
      'appcues, usetiful, standard; template (with `template`); or a ready-made destination: slack, teams, google_sheets (needs a secret: it is sent as `token`), zapier.',
  },
);
const Template = Type.Object(
  {
    body: Type.Unknown({
      description: 'The JSON to send, with {{path}} placeholders and {{path | default}} defaults',
    }),
    content_type: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    escape: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('slack')])),
  },
  {
    additionalProperties: false,
    description: 'For format "template": the body to render for each event (docs/destinations.md).',
  },
);
const Headers = Type.Record(Type.String(), Type.String({ maxLength: 4096 }), {
  maxProperties: 20,
  description:
    "Static headers sent with every attempt. Refused (400 naming the header): Hooklane's own (content-type, user-agent, webhook-*, x-apc-*), hop-by-hop headers (connection, keep-alive, proxy-connection, te, trailer, transfer-encoding, upgrade), expect, host, content-length, and invalid names or values.",
});
const Trigger = Nullable(
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' }),
      fields: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        maxItems: 100,
        description: 'The top-level fields of the trigger data the webhook receives; others are dropped',
      }),
    },
    {
      additionalProperties: false,
      description:
        'Makes the webhook the target of a browser trigger (POST /v1/accounts/{acc}/triggers/{name} with a publishable key); null: none',
    },
  ),
);
const BatchWindow = Type.Integer({
  minimum: 0,
  maximum: 10_000,
  description: "usetiful format: ms to collect a user's events into one request",
});

export const CreateWebhookBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    events: EventNames,
    filters: Type.Optional(Filters),
    format: Type.Optional(Format),
    template: Type.Optional(Nullable(Template)),
    batch_window_ms: Type.Optional(BatchWindow),
    secret: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 500 }))),
    headers: Type.Optional(Headers),
    enabled: Type.Optional(Type.Boolean()),
    trigger: Type.Optional(Trigger),
  },
  { additionalProperties: false },
);

export const UpdateWebhookBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    events: Type.Optional(EventNames),
    filters: Type.Optional(Filters),
    format: Type.Optional(Format),
    template: Type.Optional(Nullable(Template)),
    batch_window_ms: Type.Optional(BatchWindow),
    headers: Type.Optional(Headers),
    enabled: Type.Optional(Type.Boolean()),
    trigger: Type.Optional(Trigger),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const WebhookResponse = Type.Object({
  id: Type.String(),
  name: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  filters: Type.Object({
    content_ids: Nullable(Type.Array(Type.String())),
    match: Type.Optional(Type.Unknown({ description: 'The payload filter, when it has one' })),
  }),
  format: Type.String(),
  template: Type.Optional(Type.Unknown({ description: 'For format "template": its template' })),
  batch_window_ms: Type.Integer(),
  headers: Type.Record(Type.String(), Type.String(), {
    description: 'Values are encrypted at rest; shown to admin keys and root, "[hidden]" to others.',
  }),
  enabled: Type.Boolean(),
  disabled_reason: Nullable(Type.String()),
  signed: Type.Boolean(),
  failing_since: Nullable(Time),
  created_at: Time,
  updated_at: Time,
  secret: Type.Optional(Nullable(Type.String({ description: 'Only in the create response' }))),
  trigger: Nullable(Type.Object({ name: Type.String(), fields: Type.Array(Type.String()) })),
});

export const RotateSecretBody = Type.Object(
  {
    secret: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 500 }))),
    grace_period_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86_400_000 })),
  },
  { additionalProperties: false },
);
export const TestWebhookBody = Type.Object(
  { event_type: Type.String({ minLength: 1, maxLength: 100, description: 'A catalog type id' }) },
  { additionalProperties: false },
);
export const RecoverBody = Type.Object(
  {
    since: Time,
    until: Type.Optional(Time),
    dry_run: Type.Optional(
      Type.Boolean({ description: 'true: answer how many would be re-queued (200), and change nothing' }),
    ),
  },
  { additionalProperties: false },
);

export const DeliveryQuery = Type.Object(
  {
    webhook_id: Type.Optional(Id),
    event_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    event_type: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          'Deliveries of events of this name or catalog type id (e.g. nps_score or appcues:nps_score)',
      }),
    ),
    status: Type.Optional(Type.Union(DELIVERY_STATUSES.map((status) => Type.Literal(status)))),
    since: Type.Optional(Time),
    until: Type.Optional(Time),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50 })),
  },
  { additionalProperties: false },
);

const AttemptResponse = Type.Object({
  id: Type.String(),
  number: Type.Integer(),
  started_at: Time,
  duration_ms: Type.Integer(),
  url: Type.String(),
  request: Type.Object({ headers: Type.Record(Type.String(), Type.String()), body: Nullable(Type.String()) }),
  response: Nullable(
    Type.Object({
      status: Type.Integer(),
      headers: Type.Record(Type.String(), Type.String()),
      body: Nullable(Type.String()),
    }),
  ),
  error: Nullable(Type.String()),
  next_attempt_at: Nullable(Time),
});

export const DeliveryResponse = Type.Object({
  id: Type.String(),
  webhook_id: Type.String(),
  event_id: Type.String(),
  event_ids: Type.Optional(Type.Array(Type.String())),
  status: Type.String(),
  format: Type.String(),
  attempt_count: Type.Integer(),
  next_attempt_at: Nullable(Time),
  last_status: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  created_at: Time,
  updated_at: Time,
  attempts: Type.Optional(Type.Array(AttemptResponse)),
});

export const listOf = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), next_cursor: Nullable(Type.String()) });

const Rate = Nullable(
  Type.Number({
    minimum: 0,
    maximum: 1,
    description: 'Succeeded among settled (succeeded or failed); null: none settled',
  }),
);
const OutcomeCounts = {
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  retrying: Type.Integer({ description: 'Pending, after at least one failed attempt' }),
  pending: Type.Integer({ description: 'Pending, not attempted yet' }),
  cancelled: Type.Integer(),
};

export const StatsQuery = Type.Object(
  {
    since: Type.Optional(Time),
    until: Type.Optional(Time),
    bucket: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'hour' })),
  },
  { additionalProperties: false },
);

export const StatsResponse = Type.Object({
  since: Time,
  until: Time,
  bucket: Type.String(),
  totals: Type.Object({ ...OutcomeCounts, total: Type.Integer() }),
  success_rate: Rate,
  buckets: Type.Array(Type.Object({ start: Time, ...OutcomeCounts }), {
    description: 'Every bucket of the window, oldest first, by the creation time of deliveries',
  }),
  webhooks: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      enabled: Type.Boolean(),
      disabled_reason: Nullable(Type.String()),
      failing_since: Nullable(Time),
      last_delivery_at: Nullable(Time),
      totals: Type.Object({ ...OutcomeCounts, total: Type.Integer() }),
      success_rate: Rate,
      buckets: Type.Array(Type.Object({ start: Time, count: Type.Integer(), success_rate: Rate })),
    }),
  ),
  failing: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      failing_since: Time,
      enabled: Type.Boolean(),
      disabled_reason: Nullable(Type.String()),
    }),
    { description: 'Webhooks whose latest attempts fail (a failure streak is running)' },
  ),
  oldest_pending: Nullable(
    Type.Object({
      id: Type.String(),
      webhook_id: Type.String(),
      created_at: Time,
      attempt_count: Type.Integer(),
      next_attempt_at: Nullable(Time),
    }),
  ),
});

export const LatestEventsQuery = Type.Object(
  {
    user_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "Only this user's events" }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50 })),
  },
  { additionalProperties: false },
);

export const LatestEventsResponse = Type.Object({
  data: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      type: Nullable(Type.String({ description: 'The catalog type id, or null for a custom name' })),
      user_id: Type.String(),
      content_id: Nullable(Type.String()),
      occurred_at: Time,
      ingested_at: Time,
      event: Type.Unknown({
        description: 'The event as it was sent (its attributes hold flowName, checklistName, ...)',
      }),
    }),
  ),
});

export const EventParams = Type.Object({ acc: Id, id: Type.String({ minLength: 1, maxLength: 200 }) });

export const RoutingResponse = Type.Object({
  event_id: Type.String(),
  event_name: Type.String(),
  ingested_at: Time,
  webhooks: Type.Array(
    Type.Object({
      webhook_id: Type.String(),
      name: Type.String(),
      delivered: Type.Boolean(),
      delivery: Nullable(Type.Object({ id: Type.String(), status: Type.String() })),
      reason: Nullable(
        Type.Union(
          ['disabled', 'type_not_subscribed', 'content_filter', 'created_after_event', 'no_delivery'].map(
            (reason) => Type.Literal(reason),
          ),
          {
            description:
              'Why there is no delivery: disabled, type_not_subscribed, content_filter (fan-out left it out), created_after_event, or no_delivery (the webhook would take the event today: its settings changed since, or the delivery was pruned)',
          },
        ),
      ),
      changed_since_event: Type.Boolean({
        description: 'The webhook was edited after the event arrived: the reason reads its settings of today',
      }),
    }),
  ),
});

export const CreatePortalSessionBody = Type.Object(
  {
    capabilities: Type.Array(Type.Union(CAPABILITIES.map((capability) => Type.Literal(capability))), {
      minItems: 1,
      maxItems: CAPABILITIES.length,
      uniqueItems: true,
    }),
    ttl: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,9}(ms|s|m|h|d)$',
        description: 'How long the session lasts: `30m`, `1h` (default), `7d` (most)',
      }),
    ),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const CurrentPortalSessionResponse = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  capabilities: Type.Array(Type.String()),
  name: Nullable(Type.String()),
  expires_at: Time,
});

export const PortalSessionResponse = Type.Object({
  id: Type.String(),
  url: Type.String({
    description: 'The portal page with the token in its fragment (never sent to a server)',
  }),
  token: Type.String({ description: 'The bearer token: shown this once' }),
  capabilities: Type.Array(Type.String()),
  name: Nullable(Type.String()),
  expires_at: Time,
});

export const PreviewBody = Type.Object(
  {
    events: Type.Optional(
      Type.Array(Type.Record(Type.String(), Type.Unknown()), {
        minItems: 1,
        maxItems: 20,
        description: "Events to render, as senders send them; left out: the account's last 20 events",
      }),
    ),
    filters: Type.Optional(Type.Object({ match: Type.Optional(Match) }, { additionalProperties: false })),
    format: Format,
    template: Type.Optional(Nullable(Template)),
  },
  { additionalProperties: false },
);
export const PreviewResponse = Type.Object({
  template: Nullable(
    Type.Unknown({
      description: 'The template the format amounts to (null for appcues, usetiful, standard)',
    }),
  ),
  data: Type.Array(
    Type.Object({
      event_id: Nullable(Type.String()),
      name: Nullable(Type.String()),
      matches: Type.Boolean({ description: 'Whether the payload filter lets the event through' }),
      content_type: Nullable(Type.String()),
      body: Nullable(Type.String({ description: 'The body this event would be sent with' })),
      error: Nullable(Type.String({ description: 'Why the body cannot be rendered for this event' })),
    }),
  ),
});
