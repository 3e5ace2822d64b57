import { type TSchema, Type } from '@sinclair/typebox';
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

export const CreateKeyBody = Type.Object(
  {
    role: Type.Union(ROLES.map((role) => Type.Literal(role))),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export const KeyResponse = Type.Object({
  id: Type.String(),
  role: Type.String(),
  name: Nullable(Type.String()),
  prefix: Type.String({ description: 'The first characters of the key, to recognise it' }),
  created_at: Time,
  revoked_at: Nullable(Time),
  key: Type.Optional(Type.String({ description: 'The key itself: only in the create response' })),
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
  { since: Time, until: Type.Optional(Time) },
  { additionalProperties: false },
);

export const DeliveryQuery = Type.Object(
  {
    webhook_id: Type.Optional(Id),
    event_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
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
