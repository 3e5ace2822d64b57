import type { FastifyInstance } from 'fastify';
import { HooklaneError } from '../../core/errors.ts';
import type { RouteDeps } from './deps.ts';

/** What the operational routes read: a worker's operations endpoint has no services. */
export type OperationDeps = Pick<RouteDeps, 'config' | 'store' | 'metrics'>;

/** Liveness, readiness and metrics: served by the API, and by a worker on HOOKLANE_WORKER_PORT. */
export function operationRoutes(app: FastifyInstance, { store, metrics, config }: OperationDeps): void {
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness' } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { tags: ['operations'], summary: 'Readiness: the database answers' } },
    async () => {
      try {
        await store.ping();
      } catch {
        throw new HooklaneError('unavailable', 'The database does not answer.');
      }
      return { status: 'ready' };
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus metrics' } },
    async (request, reply) => {
      if (config.metricsToken !== null && request.headers.authorization !== `Bearer ${config.metricsToken}`) {
        throw new HooklaneError('unauthorized', 'The metrics token is required.');
      }
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );
}
