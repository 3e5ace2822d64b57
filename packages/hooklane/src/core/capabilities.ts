import type { Role } from './model.ts';

/** What a portal session may do: each grants a set of API routes (PORTAL_ROUTES). */
export const CAPABILITIES = ['read', 'manage_webhooks', 'read_secrets', 'retry'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** A portal session lives 1 h unless asked otherwise, and 7 days at most. */
export const PORTAL_SESSION_DEFAULT_TTL_MS = 3_600_000;
export const PORTAL_SESSION_MAX_TTL_MS = 7 * 86_400_000;

/**
 * The routes a portal session may call (`METHOD /route/pattern`), each with the capabilities
 * it needs, all of them. A route not listed is refused to every session (keys, accounts,
 * ingest, other sessions), so a route added later stays closed until it is listed here.
 */
export const PORTAL_ROUTES: Readonly<Record<string, readonly Capability[]>> = {
  'GET /v1/me': [],
  'GET /v1/portal-session': [],
  'GET /v1/event-types': [],
  'GET /v1/accounts/:acc': ['read'],
  'GET /v1/accounts/:acc/stats': ['read'],
  'GET /v1/accounts/:acc/webhooks': ['read'],
  'GET /v1/accounts/:acc/webhooks/:id': ['read'],
  'GET /v1/accounts/:acc/deliveries': ['read'],
  'GET /v1/accounts/:acc/deliveries/:id': ['read'],
  'GET /v1/accounts/:acc/events/:id/routing': ['read'],
  'GET /v1/accounts/:acc/events': ['read'],
  'POST /v1/accounts/:acc/webhooks': ['manage_webhooks'],
  'PATCH /v1/accounts/:acc/webhooks/:id': ['manage_webhooks'],
  'DELETE /v1/accounts/:acc/webhooks/:id': ['manage_webhooks'],
  'POST /v1/accounts/:acc/webhooks/:id/test': ['manage_webhooks'],
  'GET /v1/accounts/:acc/webhooks/:id/secret': ['read_secrets'],
  'POST /v1/accounts/:acc/webhooks/:id/rotate-secret': ['manage_webhooks', 'read_secrets'],
  'POST /v1/accounts/:acc/deliveries/:id/retry': ['retry'],
  'POST /v1/accounts/:acc/webhooks/:id/recover': ['retry'],
};

/**
 * Whether a session with `capabilities` may call the route `method route` (Fastify's route
 * pattern, e.g. `/v1/accounts/:acc/webhooks/:id`): every capability the route needs is held.
 *
 * @example
 * sessionMayCall(['read'], 'PATCH', '/v1/accounts/:acc/webhooks/:id') // false
 */
export function sessionMayCall(capabilities: readonly Capability[], method: string, route: string): boolean {
  const needs = PORTAL_ROUTES[`${method} ${route}`];
  return needs?.every((capability) => capabilities.includes(capability)) === true;
}

/**
 * The role whose view of objects a session gets: secrets and static header values show only
 * with `read_secrets` (as they show only to admins among keys).
 */
export function viewRoleOf(capabilities: readonly Capability[]): Role {
  return capabilities.includes('read_secrets') ? 'admin' : 'viewer';
}

/** What a webhook sends that only `read_secrets` may see, as an edit would leave it. */
export interface SecretsSent {
  readonly url: string;
  /** Its deliveries carry its signing secret in their body (`bodyCarriesSecret`). */
  readonly secretInBody: boolean;
  /** Static header values it sends that the caller did not give in this request. */
  readonly othersHeaders: boolean;
}

/**
 * Why a caller who may not read secrets (a portal session without `read_secrets`) may not
 * make or edit a webhook this way, or undefined when it may: it must not get the secret or the
 * static header values through a delivery, by having the body carry a secret it is not shown
 * or by sending what the webhook carries to a URL it chose. `before` is null for a new
 * webhook, whose secret the caller knows only when it gave it.
 *
 * @example
 * secretsRefusal({ url: 'https://a', secretInBody: false, othersHeaders: true },
 *   { url: 'https://b', secretInBody: false, othersHeaders: true }, false) // 'move its static header values'
 */
export function secretsRefusal(
  before: SecretsSent | null,
  after: SecretsSent,
  secretGiven: boolean,
): string | undefined {
  if (before === null) {
    return after.secretInBody && !secretGiven ? 'send a generated secret it is not shown' : undefined;
  }
  if (after.secretInBody && !before.secretInBody) return 'make its deliveries carry its secret';
  if (after.url === before.url) return undefined;
  if (after.secretInBody) return 'move deliveries that carry its secret to another URL';
  if (after.othersHeaders) return 'move its static header values to another URL';
  return undefined;
}
