import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import pg from 'pg';
import {
  DUMP_COMMAND,
  dumpPostgresSchema,
  dumpSqliteSchema,
  migratedPostgresSchema,
  migratedSqliteSchema,
  SCHEMA_FILES,
} from '../../scripts/dump-schema.ts';
import { pendingMigrations } from '../../src/store/migration-files.ts';
import { FUNCTION_FILES, functionFiles } from '../../src/store/postgres/functions.ts';
import { migratePostgres } from '../../src/store/postgres/migrate.ts';
import { migrateSqlite } from '../../src/store/sqlite/migrate.ts';
import { createTestDatabase, testDatabaseUrl } from '../helpers/postgres.ts';
import { BACKENDS } from './backends.ts';

const POSTGRES_MIGRATIONS = new URL('../../src/store/postgres/migrations/', import.meta.url);
const backends = new Set(BACKENDS.map((backend) => backend.name));

/** Fails naming the file, the first differing line and the command that regenerates it. */
function assertSchemaFile(file: URL, actual: string): void {
  const committed = readFileSync(file, 'utf8');
  if (actual === committed) return;
  const have = committed.split('\n');
  const want = actual.split('\n');
  let line = 0;
  while (have[line] === want[line]) line++;
  assert.fail(
    `${file.pathname.replace(/^.*\/src\//, 'src/')} differs from the schema the migrations make, from line ${line + 1}:\n` +
      `  committed: ${have[line] ?? '(end of file)'}\n  migrated:  ${want[line] ?? '(end of file)'}\n` +
      `Regenerate it with ${DUMP_COMMAND}.`,
  );
}

if (backends.has('sqlite')) {
  test('sqlite: an empty database, migrated, has the schema of src/store/sqlite/schema.sql', () => {
    assertSchemaFile(SCHEMA_FILES.sqlite, migratedSqliteSchema());
  });

  test('sqlite: migrating a migrated database again changes nothing', () => {
    const db = new DatabaseSync(':memory:');
    try {
      assert.ok(migrateSqlite(db) > 0);
      const schema = dumpSqliteSchema(db);
      const applied = db.prepare('SELECT * FROM schema_migrations ORDER BY version').all();
      assert.equal(migrateSqlite(db), 0);
      assert.equal(dumpSqliteSchema(db), schema);
      assert.deepEqual(db.prepare('SELECT * FROM schema_migrations ORDER BY version').all(), applied);
    } finally {
      db.close();
    }
  });
}

if (backends.has('postgres')) {
  /** The database's functions in the current schema, by name, as `pg_get_functiondef` prints them unqualified. */
  async function functionDefinitions(client: pg.Client): Promise<Map<string, string>> {
    const { rows } = await client.query<{ name: string; definition: string }>(
      `SELECT p.proname AS name, pg_get_functiondef(p.oid) AS definition
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = current_schema() ORDER BY p.proname`,
    );
    return new Map(
      rows.map((row) => [row.name, row.definition.replace(/^(CREATE OR REPLACE FUNCTION )[^.(]+\./, '$1')]),
    );
  }

  /** A function file's statement without its leading comment and final semicolon, by function name. */
  function fileDefinitions(): Map<string, string> {
    return new Map(
      functionFiles().map((file) => {
        const statement = file.sql.replace(/^(--.*\n|\n)*/, '').replace(/;\s*$/, '\n');
        const name = /^CREATE OR REPLACE FUNCTION (\w+)\(/.exec(statement)?.[1];
        assert.ok(name, `${file.name} starts with CREATE OR REPLACE FUNCTION after its comment`);
        return [name, statement];
      }),
    );
  }

  test('postgres: an empty database, migrated, has the schema of src/store/postgres/schema.sql', async () => {
    const base = testDatabaseUrl();
    assert.ok(base, 'TEST_DATABASE_URL is set when the PostgreSQL tests run');
    assertSchemaFile(SCHEMA_FILES.postgres, await migratedPostgresSchema(base));
  });

  test('postgres: migrating a migrated database again changes nothing', async (t) => {
    const database = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    t.after(async () => {
      await pool.end();
      await database.drop();
    });
    assert.ok((await migratePostgres(pool)) > 0);
    const schema = await dumpPostgresSchema(database.url);
    const { rows: applied } = await pool.query('SELECT * FROM schema_migrations ORDER BY version');
    assert.equal(await migratePostgres(pool), 0);
    assert.equal(await dumpPostgresSchema(database.url), schema);
    assert.deepEqual((await pool.query('SELECT * FROM schema_migrations ORDER BY version')).rows, applied);
  });

  test('postgres: a database migrated by the numbered migrations alone gets the function files on its next migrate', async (t) => {
    const database = await createTestDatabase();
    const sql = new pg.Client({ connectionString: database.url });
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    t.after(async () => {
      await sql.end().catch(() => {});
      await pool.end();
      await database.drop();
    });
    await sql.connect();
    // As a release before the function files left it: every numbered migration, applied by hand.
    await sql.query(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    for (const migration of pendingMigrations(POSTGRES_MIGRATIONS, new Set())) {
      await sql.query(migration.sql);
      await sql.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [
        migration.version,
        migration.name,
      ]);
    }
    // ...with each function's text other than its file's, as a function edited since would be.
    for (const definition of (await functionDefinitions(sql)).values()) {
      await sql.query(
        definition.replace(/\nAS \$function\$\n/, '\nAS $function$\n-- before the function files\n'),
      );
    }
    const files = fileDefinitions();
    const before = await functionDefinitions(sql);
    assert.deepEqual(
      [...before.keys()],
      [...files.keys()].sort(),
      'every function the migrations create has a file in functions/ (and FUNCTION_FILES)',
    );
    for (const [name, definition] of before) assert.notEqual(definition, files.get(name));

    assert.equal(await migratePostgres(pool), 0);
    const after = await functionDefinitions(sql);
    for (const [name, definition] of files) {
      assert.equal(
        after.get(name),
        definition,
        `${name} is its file's text, as pg_get_functiondef prints it`,
      );
    }
    assert.equal(after.size, FUNCTION_FILES.length);
  });
}
