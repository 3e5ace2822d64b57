import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sessionMayCall } from '../core/capabilities.ts';
import { HooklaneError, notFound } from '../core/errors.ts';
import type { Role } from '../core/model.ts';
import { KEY_PREFIXES } from '../core/secrets.ts';
import type { Authenticate, Principal } from '../services/auth.ts';
import type { Store } from '../store/store.ts';

/**
 * Who may call a route: `public` (anyone), `key` (any valid key), `root`, or an account
 * role. `admin` routes admit admin keys, `viewer` routes admin and viewer keys, `ingest`
 * routes admin and ingest keys. The root key passes everywhere.
 */
export type Access = 'public' | 'key' | 'root' | 'admin' | 'viewer' | 'ingest';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /**
     * Publishable keys may call this route too, with the key as `?key=hlp_...` (a page's
     * request then needs no CORS preflight); every other route refuses them.
     */
    publishable?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Only publishable keys travel in a URL: they are made to be seen. */
function queryKey(request: FastifyRequest): string | undefined {
  if (request.routeOptions.config?.publishable !== true) return undefined;
  const key = (request.query as { key?: unknown } | undefined)?.key;
  return typeof key === 'string' && key.startsWith(KEY_PREFIXES.publishable) ? key : undefined;
}

const ADMITS: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  key: ['root', 'admin', 'viewer', 'ingest'],
  root: ['root'],
  admin: ['root', 'admin'],
  viewer: ['root', 'admin', 'viewer'],
  ingest: ['root', 'admin', 'ingest'],
};

/** "An ingest key", "An admin key", "A viewer key". */
const capitalArticle = (word: string): string => (/^[aeiou]/i.test(word) ? 'An' : 'A');

/**
 * Decides 401, 404 and 403 in `onRequest`, before the body is read or validated. A key of
 * another account gets 404: it must not learn that the account exists.
 */
export function installAuth(app: FastifyInstance, authenticate: Authenticate, store: Store): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const access = request.routeOptions.config?.access ?? 'public';
    if (access === 'public') return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const inQuery = match ? undefined : queryKey(request);
    const given = match?.[1] ?? inQuery;
    const principal = given ? await authenticate(given) : null;
    if (!principal || (inQuery !== undefined && principal.role !== 'publishable')) {
      throw new HooklaneError('unauthorized');
    }
    request.principal = principal;
    const accountId = (request.params as { acc?: string }).acc;
    if (accountId !== undefined) {
      if (principal.role === 'root') {
        if (!(await store.getAccount(accountId))) throw notFound('Account');
      } else if (principal.accountId !== accountId) {
        throw notFound('Account');
      }
    }
    if (principal.role === 'publishable') {
      if (request.routeOptions.config?.publishable === true) return;
      throw new HooklaneError(
        'forbidden',
        'A publishable key can only send events and run triggers; it reads nothing.',
      );
    }
    if (principal.portal) {
      // A portal session passes on its capabilities alone (core/capabilities.ts), not its role.
      const method = request.method === 'HEAD' ? 'GET' : request.method;
      if (!sessionMayCall(principal.portal.capabilities, method, request.routeOptions.url ?? '')) {
        throw new HooklaneError(
          'forbidden',
          `This portal session cannot do this; its capabilities are: ${principal.portal.capabilities.join(', ') || 'none'}.`,
        );
      }
      return;
    }
    if (!ADMITS[access].includes(principal.role)) {
      throw new HooklaneError(
        'forbidden',
        `${capitalArticle(principal.role)} ${principal.role} key cannot do this; it needs ${access === 'root' ? 'the root key' : `an ${access === 'viewer' ? 'admin or viewer' : access === 'ingest' ? 'admin or ingest' : 'admin'} key`}.`,
      );
    }
  });
}

/** Whether the caller may see webhook secrets: any key admitted to the route, or a session with `read_secrets`. */
export function seesSecrets(request: FastifyRequest): boolean {
  const portal = request.principal?.portal;
  return portal === undefined || portal.capabilities.includes('read_secrets');
}

/** The role of the key that called a route with access above `public` (auth has run). */
export function roleOf(request: FastifyRequest): Role {
  if (!request.principal) throw new HooklaneError('unauthorized');
  return request.principal.role;
}
