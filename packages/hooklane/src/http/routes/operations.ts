import type { FastifyInstance } from 'fastify';
import { HooklaneError } from '../../core/errors.ts';
import type { RouteDeps } from './deps.ts';

/** Liveness, readiness, metrics and the OpenAPI document. */
export function operationRoutes(app: FastifyInstance, { store, metrics, config }: RouteDeps): void {
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

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
