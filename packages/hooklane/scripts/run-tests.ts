import { spawnSync } from 'node:child_process';

/**
 * `npm test`: the whole suite on the embedded SQLite store, then everything that touches a
 * store again on PostgreSQL when TEST_DATABASE_URL is set (CI sets it), then, last and one
 * file at a time, the PostgreSQL fault tests (`test/postgres-faults/*.fault.ts`: they stop
 * and start the shared cluster, so nothing else may run beside them). Extra arguments
 * replace the file globs, e.g. `npm test -- test/e2e/retries.test.ts`.
 */
const files = process.argv.slice(2);
const runs: { backend: string; globs: string[]; concurrency?: number; title?: string }[] = [
  { backend: 'sqlite', globs: files.length > 0 ? files : ['test/**/*.test.ts'] },
];
if (process.env.TEST_DATABASE_URL) {
  runs.push({
    backend: 'postgres',
    globs: files.length > 0 ? files : ['test/{store,e2e,api,cli,postgres}/**/*.test.ts', 'test/*.test.ts'],
  });
  if (files.length === 0) {
    runs.push({
      backend: 'postgres',
      title: 'PostgreSQL fault tests, one at a time',
      globs: ['test/postgres-faults/**/*.fault.ts'],
      concurrency: 1,
    });
  }
}
let failed = false;
for (const run of runs) {
  process.stdout.write(`\n# hooklane ${run.title ?? `tests on ${run.backend}`}\n`);
  const result = spawnSync(
    process.execPath,
    ['--test', `--test-concurrency=${run.concurrency ?? 2}`, '--test-timeout=180000', ...run.globs],
    { stdio: 'inherit', env: { ...process.env, HOOKLANE_TEST_BACKEND: run.backend } },
  );
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
