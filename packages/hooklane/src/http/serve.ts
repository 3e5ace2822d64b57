import type { FastifyInstance } from 'fastify';
import { createAccountService } from '../services/accounts.ts';
import { createAuthenticator } from '../services/auth.ts';
import { createBrowserService } from '../services/browser.ts';
import type { ServiceContext } from '../services/context.ts';
import { createDeliveryService } from '../services/deliveries.ts';
import { createIngestService } from '../services/ingest.ts';
import { createInsightService } from '../services/insights.ts';
import { createPortalSessionService } from '../services/portal-sessions.ts';
import { createWebhookService } from '../services/webhooks.ts';
import { buildApp, buildOperationsApp } from './app.ts';

/**
 * Builds the API on the process's services and listens on the configured address. The
 * composition root imports this module only in processes that serve HTTP, so that a worker
 * loads none of Fastify, the route schemas or Swagger UI.
 */
export async function serveApi(ctx: ServiceContext): Promise<{ app: FastifyInstance; url: string }> {
  const { config, store, metrics, bus, logger } = ctx;
  const ingest = createIngestService(ctx);
  const app = await buildApp({
    config,
    store,
    metrics,
    bus,
    logger,
    authenticate: createAuthenticator(store, config.rootKey, ctx.now),
    accounts: createAccountService(ctx),
    webhooks: createWebhookService(ctx),
    ingest,
    deliveries: createDeliveryService(ctx),
    browser: createBrowserService(ctx, ingest),
    insights: createInsightService(ctx),
    portalSessions: createPortalSessionService(ctx),
  });
  return listen(app, config.host, config.port);
}

/** A worker's operations endpoint on HOOKLANE_WORKER_PORT (see buildOperationsApp). */
export async function serveOperations(
  ctx: ServiceContext,
  port: number,
): Promise<{ app: FastifyInstance; url: string }> {
  const { config, store, metrics, logger } = ctx;
  return listen(buildOperationsApp({ config, store, metrics, logger }), config.host, port);
}

async function listen(
  app: FastifyInstance,
  host: string,
  port: number,
): Promise<{ app: FastifyInstance; url: string }> {
  const address = await app.listen({ host, port });
  return { app, url: address.replace('[::1]', 'localhost') };
}
