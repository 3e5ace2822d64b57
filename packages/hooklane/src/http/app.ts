import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv, type FormatDefinition } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  type FastifySchemaCompiler,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { HooklaneError } from '../core/errors.ts';
import type { Authenticate } from '../services/auth.ts';
import { installAuth } from './auth.ts';
import { installBodyBudget } from './body-budget.ts';
import { serveConsole } from './console-static.ts';
import { clientErrorHandler, frameworkErrors, installErrorHandler } from './error-handler.ts';
import { installJsonBody, textProblem } from './json-body.ts';
import { servePortal } from './portal-static.ts';
import { installPublishable, triggerRoutes } from './publishable.ts';
import { accountRoutes } from './routes/accounts.ts';
import { deliveryRoutes } from './routes/deliveries.ts';
import type { RouteDeps } from './routes/deps.ts';
import { eventRoutes } from './routes/events.ts';
import { insightRoutes } from './routes/insights.ts';
import { type OperationDeps, operationRoutes } from './routes/operations.ts';
import { portalSessionRoutes } from './routes/portal-sessions.ts';
import { sdkRoutes } from './routes/sdk.ts';
import { testbenchRoutes } from './routes/testbench.ts';
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
  // RFC 3339 admits leap seconds (23:59:60), which Date.parse cannot read: a time the server
  // reads as NaN is refused here, not passed on to a store.
  const rfc3339 = addFormats.default.get('date-time') as FormatDefinition<string> & {
    validate: (text: string) => boolean;
  };
  const dateTime: FormatDefinition<string> = {
    ...rfc3339,
    validate: (text) => rfc3339.validate(text) && Number.isFinite(Date.parse(text)),
  };
  for (const ajv of [coercing, strict]) addFormats.default(ajv).addFormat('date-time', dateTime);
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    const id = (schema as { $id?: string }).$id;
    return (id === undefined ? undefined : ajv.getSchema(id)) ?? ajv.compile(schema as object);
  };
}

/** Refuses path parameters and query strings holding text Hooklane refuses in bodies too. */
function refuseUnacceptableText(request: FastifyRequest): void {
  const refuse = (where: 'params' | 'querystring', name: string, problem: string) => {
    const what = where === 'params' ? 'Path parameter' : 'Query parameter';
    throw new HooklaneError('validation_failed', `${what} "${name}": ${problem}.`, [
      { path: `${where}/${name}`, message: problem },
    ]);
  };
  for (const [name, value] of Object.entries((request.params ?? {}) as Record<string, unknown>)) {
    const problem = typeof value === 'string' ? textProblem(value) : undefined;
    if (problem !== undefined) refuse('params', name, `the value ${problem}`);
  }
  for (const [name, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    const nameProblem = textProblem(name);
    if (nameProblem !== undefined) refuse('querystring', name, `the name ${nameProblem}`);
    for (const item of Array.isArray(value) ? value : [value]) {
      const problem = typeof item === 'string' ? textProblem(item) : undefined;
      if (problem !== undefined) refuse('querystring', name, `the value ${problem}`);
    }
  }
}

/** Whether a request carries a body, read or not (GET and HEAD bodies are never read). */
function hasBody(request: FastifyRequest): boolean {
  if (request.body !== undefined) return true;
  const length = request.headers['content-length'];
  if (length !== undefined && length !== '0') return true;
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    request.headers['transfer-encoding'] !== undefined
  );
}

/**
 * What every Hooklane HTTP server shares: the logger, strict validation, unknown query
 * parameters refused, bodies refused where a route takes none, JSON only, and the one error
 * handler, which answers every refusal, Fastify's and Node's included.
 */
function baseApp(deps: { config: RouteDeps['config']; logger: Logger }): FastifyInstance {
  const logger = deps.logger as FastifyBaseLogger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: deps.config.maxBodyBytes,
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors,
    clientErrorHandler: clientErrorHandler(logger),
    // Fastify's own 503 while closing is not in the catalogue's shape: the hook below answers it.
    return503OnClosing: false,
  });
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // First of all hooks: nothing, authentication included, may read a store with such text.
  app.addHook('onRequest', async (request) => {
    if (closing) throw new HooklaneError('unavailable', 'The server is shutting down; retry shortly.');
    refuseUnacceptableText(request);
  });
  app.setValidatorCompiler(validatorCompiler());
  // JSON only: Fastify's default text/plain parser would let a string body reach validation (415 instead).
  app.removeContentTypeParser('text/plain');
  installJsonBody(app);

  const refuseBody = async (request: FastifyRequest) => {
    if (hasBody(request)) throw new HooklaneError('unexpected_body');
  };
  app.addHook('onRoute', (route) => {
    if (route.method === 'HEAD') return;
    // A body sent where none is read would be ignored without a word: refused instead.
    if (route.schema?.body === undefined) {
      const own = route.preValidation;
      route.preValidation =
        own === undefined ? [refuseBody] : [refuseBody, ...(Array.isArray(own) ? own : [own])];
    }
    if (route.url.startsWith('/docs')) return;
    route.schema ??= {};
    // Unknown query parameters are refused, not ignored: routes without a query schema get an empty strict one.
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
  installPublishable(app, deps.authenticate);
  operationRoutes(app, deps);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  accountRoutes(app, deps);
  webhookRoutes(app, deps);
  recoverRoute(app, deps);
  eventRoutes(app, deps);
  triggerRoutes(app, deps);
  sdkRoutes(app);
  testbenchRoutes(app);
  deliveryRoutes(app, deps);
  serveConsole(app);
  insightRoutes(app, deps);
  portalSessionRoutes(app, deps);
  servePortal(app, deps.config.portalFrameAncestors);
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
