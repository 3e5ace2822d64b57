import type { StoreParts } from '../assembled-store.ts';
import { portalSessionValues, toPortalSession } from '../rows.ts';
import { SQL } from '../shared-sql.ts';
import type { SqliteConnection } from './connection.ts';

/** Portal sessions, looked up by token hash on each request of the portal. */
export function sqlitePortalSessions(db: SqliteConnection): StoreParts['portalSessions'] {
  return {
    async insertPortalSession(session, hash) {
      db.run(SQL.insertPortalSession, portalSessionValues(session, hash));
    },

    async findPortalSessionByHash(hash) {
      const row = db.get(SQL.portalSessionByHash, [hash]);
      return row ? toPortalSession(row) : null;
    },

    async deletePortalSessions(accountId, expiredAt) {
      const { changes } =
        expiredAt === undefined
          ? db.run(SQL.deletePortalSessions, [accountId])
          : db.run(SQL.deleteExpiredPortalSessions, [accountId, expiredAt]);
      return Number(changes);
    },
  };
}
