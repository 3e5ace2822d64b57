// The PostgreSQL functions as source: each function's current definition lives in one file
// under `functions/`, applied with CREATE OR REPLACE after the numbered migrations on every
// migrate, so that its text is read in one place rather than pieced together from the
// migrations that created and altered it (which stay as they are: databases have run them).
//
// A file holds the function as `pg_get_functiondef` prints it (name unqualified, so that it
// lands in the schema the migrations use): a test checks that applying it leaves exactly that
// text in the database. To change a function's body or settings, edit its file.
//
// CREATE OR REPLACE cannot change a function's argument types, parameter names or return type.
// For such a change, a numbered migration drops the old function (DROP FUNCTION with its old
// argument types; with CASCADE for a trigger function, recreating its triggers after the
// function in that migration or a later one), and the file, edited to the new signature,
// creates it again on the same migrate. A function no longer wanted is dropped by a numbered
// migration and its file removed from the list below.
//
// Every process migrates as it starts, so during a rolling deploy an older process that starts
// after a newer one puts its own text back. A change older processes could not run beside (or
// their callers could not use) therefore goes under a new function name, as the claim's early
// return did (migration 0006 renamed the old claim rather than change it in place).

import { readFileSync } from 'node:fs';

/**
 * The files of `functions/`, in the order they are applied: a function before those that call
 * it (PL/pgSQL resolves names when called, but a SQL-language body is checked when created).
 */
export const FUNCTION_FILES: readonly string[] = [
  'claim-due-locked.sql',
  'claim-due.sql',
  'record-attempts.sql',
  'record-and-claim.sql',
  'config-changed.sql',
];

const FUNCTIONS_DIR = new URL('./functions/', import.meta.url);

/** One repeatable function file: its name and its SQL (a CREATE OR REPLACE FUNCTION statement). */
export interface FunctionFile {
  readonly name: string;
  readonly sql: string;
}

/** The function files, read, in the order they are applied. */
export function functionFiles(): FunctionFile[] {
  return FUNCTION_FILES.map((name) => ({ name, sql: readFileSync(new URL(name, FUNCTIONS_DIR), 'utf8') }));
}
