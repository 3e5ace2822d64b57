import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HooklaneError } from '../core/errors.ts';
import {
  clientOf,
  originAllowed,
  PUBLISHABLE_MAX_BODY_BYTES,
  type PublishablePolicy,
} from '../core/publishable.ts';
import { TokenBuckets } from '../core/token-bucket.ts';
import type { Authenticate } from '../services/auth.ts';
import { parseJsonBody } from './json-body.ts';
import { ERROR_RESPONSES, type RouteDeps } from './routes/deps.ts';

/** The query string of a route publishable keys may call: the key itself. */
export const PublishableQuery = Type.Object(
  { key: Type.Optional(Type.String({ maxLength: 200, description: 'A publishable key (hlp_...)' })) },
  { additionalProperties: false },
);

/** The answer a page may read: only for the origin that asked, and it may read Retry-After. */
function allowOrigin(reply: FastifyReply, origin: string): void {
  reply.header('access-control-allow-origin', origin);
  reply.header('vary', 'Origin');
  reply.header('access-control-expose-headers', 'Retry-After');
}

const policyOf = (request: FastifyRequest): PublishablePolicy | null =>
  request.principal?.role === 'publishable' ? (request.principal.policy ?? null) : null;

/**
 * What a publishable key's requests go through, after authentication: the page's origin (a
 * refused one gets no CORS headers, so the page cannot read the answer), the body limit, the
 * rate limits per key and per client address, and `text/plain` JSON bodies, which a page can
 * send without a CORS preflight. Preflights that carry the key are answered here too.
 */
export function installPublishable(app: FastifyInstance, authenticate: Authenticate, now = Date.now): void {
  const buckets = new TokenBuckets();

  // Only where a publishable key is the caller: everywhere else text/plain stays unsupported.
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (request, body, done) => {
    if (policyOf(request) === null) return done(new HooklaneError('unsupported_media_type'), undefined);
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.publishable !== true) return;
    const origin = request.headers.origin;
    if (request.method === 'OPTIONS') {
      const key = (request.query as { key?: unknown }).key;
      if (typeof key !== 'string') return;
      const principal = await authenticate(key);
      if (principal?.role !== 'publishable' || !principal.policy) throw new HooklaneError('unauthorized');
      if (!originAllowed(principal.policy, origin)) throw new HooklaneError('origin_not_allowed');
      allowOrigin(reply, origin as string);
      reply.header('access-control-allow-methods', 'POST');
      reply.header('access-control-allow-headers', 'content-type');
      reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    }
    const policy = policyOf(request);
    if (policy === null) return;
    if (!originAllowed(policy, origin)) throw new HooklaneError('origin_not_allowed');
    allowOrigin(reply, origin as string);
    const length = request.headers['content-length'];
    if (length === undefined) throw new HooklaneError('length_required');
    if (Number(length) > PUBLISHABLE_MAX_BODY_BYTES) {
      throw new HooklaneError(
        'payload_too_large',
        `A publishable key's request body is at most ${PUBLISHABLE_MAX_BODY_BYTES} bytes.`,
      );
    }
    const keyId = request.principal?.keyId ?? '';
    const taken = buckets.takeAll(
      [
        { name: `${keyId}`, rate: policy.rateLimit.perKey },
        { name: `${keyId} ${clientOf(request.ip)}`, rate: policy.rateLimit.perClient },
      ],
      now(),
    );
    if (!taken.ok) {
      const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
      reply.header('retry-after', String(Number.isFinite(seconds) ? seconds : 3600));
      throw new HooklaneError('rate_limited');
    }
  });
}

const TriggerParams = Type.Object({
  acc: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z]+_[0-9a-z]+$' }),
  name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' }),
});
const TriggerBody = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Chosen by the page; the same on every retry',
    }),
    user_id: Type.String({ minLength: 1, maxLength: 200 }),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

/** `POST /v1/accounts/{acc}/triggers/{name}`: a page runs a trigger; the server delivers it. */
export function triggerRoutes(app: FastifyInstance, { browser }: RouteDeps): void {
  const url = '/v1/accounts/:acc/triggers/:name';
  app.options(
    url,
    { config: { publishable: true }, schema: { hide: true, querystring: PublishableQuery } },
    async () => {
      throw new HooklaneError('unauthorized');
    },
  );
  app.post(
    url,
    {
      config: { access: 'admin', publishable: true },
      schema: {
        tags: ['events'],
        summary: 'Run a browser trigger (publishable key)',
        description:
          "Stores the trigger as the event trigger:<name> with only the data fields its webhook lists, and delivers it to that webhook, signed and retried. The key's events must list trigger:<name> or trigger:*. The answer never names the webhook.",
        params: TriggerParams,
        querystring: PublishableQuery,
        body: TriggerBody,
        response: {
          202: Type.Object({ id: Type.String() }),
          429: { $ref: 'Error#' },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const { acc, name } = request.params as Static<typeof TriggerParams>;
      const policy = policyOf(request);
      if (policy === null) {
        throw new HooklaneError('forbidden', 'Triggers are run by publishable keys, from a page.');
      }
      const result = await browser.trigger(acc, policy, name, request.body as Static<typeof TriggerBody>);
      return reply.code(202).send(result);
    },
  );
}
