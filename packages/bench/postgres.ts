import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { onCleanup } from './children.ts';

/** The PostgreSQL server the bench creates its databases on. */
export const ADMIN_DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** PostgreSQL went away (restarted or stopped by another process on this machine). */
export function isPostgresGone(error: unknown): boolean {
  const text = `${(error as Error)?.message ?? error} ${(error as { code?: string })?.code ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|57P0[123]|terminating connection|shutting down|starting up|Connection terminated/i.test(
    text,
  );
}

/** Waits (at most `timeoutMs`) until PostgreSQL accepts connections; false if it never does. */
export async function waitForPostgres(timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await admin('SELECT 1');
      return true;
    } catch {
      if (Date.now() >= until) return false;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/**
 * Every connection to a bench database asks for `synchronous_commit=on` itself (a libpq startup
 * option in the URL) rather than trusting the server's default: a commit, and so a 202 that
 * waits for one, is on disk before it returns. Hooklane turns it off only inside its result and
 * claim functions, where a lost write repeats a send.
 */
export const SYNCHRONOUS_COMMIT_NOTE = 'synchronous_commit=on';
const SESSION_OPTIONS = `-c ${SYNCHRONOUS_COMMIT_NOTE}`;

/** A fresh database for one system instance; dropped by `drop()` or, at the latest, when the bench exits. */
export async function createDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  url.search = `?options=${encodeURIComponent(SESSION_OPTIONS)}`;
  const drop = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  // Until a drop succeeds, the bench's exit clean-up tries again.
  const forget = onCleanup(drop);
  return {
    url: url.toString(),
    async drop() {
      try {
        await drop();
        forget();
      } catch {
        // PostgreSQL is away: the exit clean-up retries.
      }
    },
  };
}

export async function serverVersion(): Promise<string> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end();
  }
}

/** When the PostgreSQL server last started (null if unreachable): a change means someone restarted it. */
export async function postmasterStart(): Promise<string | null> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ started: string }>(
      'SELECT pg_postmaster_start_time()::text AS started',
    );
    return rows[0]?.started ?? null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}
