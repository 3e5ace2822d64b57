import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifySchemaCompiler,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import type { Authenticate } from '../services/auth.ts';
import { installAuth } from './auth.ts';
import { installBodyBudget } from './body-budget.ts';
import { serveConsole } from './console-static.ts';
import { installErrorHandler } from './error-handler.ts';
import { accountRoutes } from './routes/accounts.ts';
import { deliveryRoutes } from './routes/deliveries.ts';
import type { RouteDeps } from './routes/deps.ts';
import { eventRoutes } from './routes/events.ts';
import { type OperationDeps, operationRoutes } from './routes/operations.ts';
import { recoverRoute, webhookRoutes } from './routes/webhooks.ts';
import { ErrorBody, NoQuery } from './schemas.ts';

/**
 * Bodies are validated as sent, without type coercion (`"false"` is not `false`, `"x"` is not
 * `["x"]`); query strings and path parameters are text, so they are coerced (`limit=2`).
 */
function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const options = {
    removeAdditional: false,
    useDefaults: true,
    allErrors: false,
    addUsedSchema: false,
  } as const;
  const coercing = new Ajv({ ...options, coerceTypes: 'array' });
  const strict = new Ajv({ ...options, coerceTypes: false });
  for (const ajv of [coercing, strict]) addFormats.default(ajv);
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    const id = (schema as { $id?: string }).$id;
    return (id === undefined ? undefined : ajv.getSchema(id)) ?? ajv.compile(schema as object);
  };
}

/**
 * What every Hooklane HTTP server shares: the logger, strict validation, unknown query
 * parameters refused, JSON only, and the one error handler.
 */
function baseApp(deps: { config: RouteDeps['config']; logger: Logger }): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.maxBodyBytes,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler());
  // JSON only: Fastify's default text/plain parser would let a string body reach validation (415 instead).
  app.removeContentTypeParser('text/plain');

  // Unknown query parameters are refused, not ignored: routes without a query schema get an empty strict one.
  app.addHook('onRoute', (route) => {
    if (route.method === 'HEAD' || route.url.startsWith('/docs')) return;
    route.schema ??= {};
    route.schema.querystring ??= NoQuery;
  });
  app.addSchema(ErrorBody);
  installErrorHandler(app);
  return app;
}

/**
 * The HTTP API. Built without listening, so tests can drive it in-process with `inject`
 * or on a real socket with `listen`.
 */
export async function buildApp(
  deps: RouteDeps & { authenticate: Authenticate; logger: Logger },
): Promise<FastifyInstance> {
  const app = baseApp(deps);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Hooklane API',
        version: '0.1.0',
        description: 'Webhooks for product-adoption events: subscribe URLs, send events, inspect deliveries.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  installBodyBudget(app, deps.config.maxBodyBytesInFlight, deps.config.maxBodyBytes);
  installAuth(app, deps.authenticate, deps.store);
  operationRoutes(app, deps);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  accountRoutes(app, deps);
  webhookRoutes(app, deps);
  recoverRoute(app, deps);
  eventRoutes(app, deps);
  deliveryRoutes(app, deps);
  serveConsole(app);
  return app;
}

/**
 * A worker's operations endpoint (HOOKLANE_WORKER_PORT): liveness, readiness and the
 * process's metrics (its delivery attempts are counted only there), and nothing else.
 */
export function buildOperationsApp(deps: OperationDeps & { logger: Logger }): FastifyInstance {
  const app = baseApp(deps);
  operationRoutes(app, deps);
  return app;
}
