import {
  type Capability,
  PORTAL_SESSION_DEFAULT_TTL_MS,
  PORTAL_SESSION_MAX_TTL_MS,
} from '../core/capabilities.ts';
import { formatDuration } from '../core/durations.ts';
import { HooklaneError, notFound } from '../core/errors.ts';
import { ID_PREFIX, newId } from '../core/ids.ts';
import type { PortalSession } from '../core/model.ts';
import { generateApiKey, hashApiKey } from '../core/secrets.ts';
import type { ServiceContext } from './context.ts';

/**
 * Portal sessions: an account's admin hands a token limited to some capabilities, for a while,
 * to the customer who manages its webhooks in the embedded portal.
 */
export function createPortalSessionService({ store, now }: ServiceContext) {
  return {
    /** Creates a session; its token is returned this once. */
    async create(
      accountId: string,
      request: { capabilities: readonly Capability[]; ttlMs?: number | undefined; name?: string | undefined },
    ): Promise<{ session: PortalSession; token: string }> {
      const ttlMs = request.ttlMs ?? PORTAL_SESSION_DEFAULT_TTL_MS;
      if (ttlMs <= 0 || ttlMs > PORTAL_SESSION_MAX_TTL_MS) {
        throw new HooklaneError(
          'validation_failed',
          `"ttl" must be more than 0 and at most ${formatDuration(PORTAL_SESSION_MAX_TTL_MS)}.`,
          [{ path: 'body/ttl', message: `at most ${formatDuration(PORTAL_SESSION_MAX_TTL_MS)}` }],
        );
      }
      if (!(await store.getAccount(accountId))) throw notFound('Account');
      const at = now();
      // Expired sessions of the account go as new ones come, so the table holds live ones.
      await store.deletePortalSessions(accountId, at);
      const token = generateApiKey('portal');
      const session: PortalSession = {
        id: newId(ID_PREFIX.portalSession, at),
        accountId,
        name: request.name ?? null,
        capabilities: [...new Set(request.capabilities)],
        createdAt: at,
        expiresAt: at + ttlMs,
      };
      await store.insertPortalSession(session, hashApiKey(token));
      return { session, token };
    },

    /** Ends every session of the account, at once in every process. */
    async revokeAll(accountId: string): Promise<number> {
      return store.deletePortalSessions(accountId);
    },
  };
}

export type PortalSessionService = ReturnType<typeof createPortalSessionService>;
