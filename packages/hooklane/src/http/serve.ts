import type { FastifyInstance } from 'fastify';
import { createAccountService } from '../services/accounts.ts';
import { createAuthenticator } from '../services/auth.ts';
import type { ServiceContext } from '../services/context.ts';
import { createDeliveryService } from '../services/deliveries.ts';
import { createIngestService } from '../services/ingest.ts';
import { createWebhookService } from '../services/webhooks.ts';
import { buildApp } from './app.ts';

/**
 * Builds the API on the process's services and listens on the configured address. The
 * composition root imports this module only in processes that serve HTTP, so that a worker
 * loads none of Fastify, the route schemas or Swagger UI.
 */
export async function serveApi(ctx: ServiceContext): Promise<{ app: FastifyInstance; url: string }> {
  const { config, store, metrics, bus, logger } = ctx;
  const app = await buildApp({
    config,
    store,
    metrics,
    bus,
    logger,
    authenticate: createAuthenticator(store, config.rootKey),
    accounts: createAccountService(ctx),
    webhooks: createWebhookService(ctx),
    ingest: createIngestService(ctx),
    deliveries: createDeliveryService(ctx),
  });
  const address = await app.listen({ host: config.host, port: config.port });
  return { app, url: address.replace('[::1]', 'localhost') };
}
