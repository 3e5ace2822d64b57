import type { StoreParts } from '../assembled-store.ts';
import { portalSessionValues, toPortalSession } from '../rows.ts';
import { SQL } from '../shared-sql.ts';
import type { ConfigCache } from './config-cache.ts';
import type { PgConnection } from './connection.ts';

/**
 * Portal sessions, looked up by token hash on each request of the portal, so kept like API
 * keys (config-cache.ts); a deletion is announced to every process by a trigger (migration 0011).
 */
export function pgPortalSessions(db: PgConnection, config: ConfigCache): StoreParts['portalSessions'] {
  return {
    async insertPortalSession(session, hash) {
      await db.query(SQL.insertPortalSession, portalSessionValues(session, hash));
    },

    findPortalSessionByHash(hash) {
      return config.portalSession(hash, async () => {
        const { rows } = await db.query(SQL.portalSessionByHash, [hash]);
        return rows[0] ? toPortalSession(rows[0]) : null;
      });
    },

    async deletePortalSessions(accountId, expiredAt) {
      const { rowCount } = await config.changing(() =>
        expiredAt === undefined
          ? db.query(SQL.deletePortalSessions, [accountId])
          : db.query(SQL.deleteExpiredPortalSessions, [accountId, expiredAt]),
      );
      return rowCount ?? 0;
    },
  };
}
