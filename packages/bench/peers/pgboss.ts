import { PgBoss } from 'pg-boss';
import { createPoster, type DeliveryJob, exitOnSignal, peerConfig, startIngest } from './common.ts';

/**
 * The pipeline a Node team would build with pg-boss: a Fastify endpoint that answers 202
 * once `boss.insert` has stored one job per (event, webhook) in PostgreSQL (one multi-row
 * INSERT per request), and `boss.work` fetching batches (LISTEN/NOTIFY wake-ups, polling as
 * the fallback, fetching without pause while batches come back full) whose jobs are signed
 * and POSTed concurrently with undici and settled one by one. Retries: 7 with exponential
 * backoff from 5 s, as Hooklane's 8 attempts.
 */
const config = peerConfig();
// Chosen by a sweep on the bench machine (docs/performance.md): bigger batches beat 32 × 2 clearly.
const batchSize = Number(process.env.PGBOSS_BATCH_SIZE ?? 100);
const localConcurrency = Number(process.env.PGBOSS_LOCAL_CONCURRENCY ?? 2);

const boss = new PgBoss({
  connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  max: 10,
  useListenNotify: true,
  schedule: false,
});
boss.on('error', (error) => process.stderr.write(`pg-boss: ${error.message}\n`));
await boss.start();
// The bench's URL asks every connection for synchronous_commit=on; refuse to run without it, so
// that no figure is ever measured with a 202 that waits for no fsync.
const { rows } = await boss.getDb().executeSql('SHOW synchronous_commit');
const synchronousCommit = (rows[0] as { synchronous_commit?: string } | undefined)?.synchronous_commit;
if (synchronousCommit !== 'on') throw new Error(`synchronous_commit is ${synchronousCommit}, not on`);
await boss.createQueue(config.queue, { retryLimit: 7, retryDelay: 5, retryBackoff: true, notify: true });

const app =
  config.role === 'worker'
    ? null
    : await startIngest(config, (jobs) =>
        boss.insert(
          config.queue,
          jobs.map((data) => ({ data })),
        ),
      );

const poster = config.role === 'ingest' ? null : createPoster(config);
if (poster) {
  await boss.work<DeliveryJob>(
    config.queue,
    {
      batchSize,
      localConcurrency,
      pollingIntervalSeconds: 0.5,
      burstWhenBatchFull: true,
      perJobResults: true,
    },
    (jobs) =>
      Promise.all(
        jobs.map((job) =>
          poster.post(job.data, `pgboss_${job.id}`).then(
            () => ({ id: job.id, status: 'completed' as const }),
            (error: Error) => ({ id: job.id, status: 'failed' as const, output: { error: error.message } }),
          ),
        ),
      ),
  );
}

if (app)
  process.stdout.write(
    `peer listening on http://127.0.0.1:${(app.server.address() as { port: number }).port}\n`,
  );
else process.stdout.write('peer worker running\n');

exitOnSignal(async () => {
  await app?.close();
  await boss.stop({ graceful: false, timeout: 2_000 });
  await poster?.close();
});
