import { Queue, Worker } from 'bullmq';
import { createPoster, type DeliveryJob, exitOnSignal, peerConfig, startIngest } from './common.ts';

/**
 * The pipeline a Node team would build with BullMQ: a Fastify endpoint that answers 202
 * once `queue.addBulk` has stored one job per (event, webhook) in Redis (how durably is the
 * Redis server's setting: the bench starts one with `appendfsync always` and one without
 * persistence), and a BullMQ worker (concurrency PEER_CONCURRENCY) that signs each body and
 * POSTs it with undici, retrying with exponential backoff from 5 s, 8 attempts in all
 * (Hooklane's first step and count).
 */
const config = peerConfig();
const connection = { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', maxRetriesPerRequest: null };

const queue = new Queue<DeliveryJob>(config.queue, {
  connection,
  defaultJobOptions: {
    attempts: 8,
    backoff: { type: 'exponential', delay: 5_000 },
    removeOnComplete: { count: 1_000 },
    removeOnFail: { count: 10_000 },
  },
});

const app =
  config.role === 'worker'
    ? null
    : await startIngest(config, (jobs) => queue.addBulk(jobs.map((data) => ({ name: 'deliver', data }))));

const poster = config.role === 'ingest' ? null : createPoster(config);
const worker = poster
  ? new Worker<DeliveryJob>(config.queue, (job) => poster.post(job.data, `bullmq_${job.id}`), {
      connection,
      concurrency: config.concurrency,
    })
  : null;
await worker?.waitUntilReady();

if (app)
  process.stdout.write(
    `peer listening on http://127.0.0.1:${(app.server.address() as { port: number }).port}\n`,
  );
else process.stdout.write('peer worker running\n');

exitOnSignal(async () => {
  await app?.close();
  await worker?.close(true);
  await poster?.close();
  await queue.close();
});
