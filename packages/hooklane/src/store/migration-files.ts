import { readdirSync, readFileSync } from 'node:fs';

/** One numbered, forward-only migration of a backend (`0001-initial.sql`). */
export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The migrations in `dir` not yet in `applied`, in version order. */
export function pendingMigrations(dir: URL, applied: ReadonlySet<number>): MigrationFile[] {
  return readdirSync(dir)
    .filter((name) => /^\d{4}-[\w-]+\.sql$/.test(name))
    .sort()
    .map((name) => ({ version: Number(name.slice(0, 4)), name }))
    .filter(({ version }) => !applied.has(version))
    .map(({ version, name }) => ({ version, name, sql: readFileSync(new URL(name, dir), 'utf8') }));
}
