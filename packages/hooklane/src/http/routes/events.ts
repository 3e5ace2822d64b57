import type { ServerResponse } from 'node:http';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EVENT_TYPES, toPublicEventType } from '../../core/catalog.ts';
import { PublishableQuery } from '../publishable.ts';
import { AccountParams } from '../schemas.ts';
import { ERROR_RESPONSES, type RouteDeps } from './deps.ts';

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '600',
};

export function eventRoutes(app: FastifyInstance, { ingest, bus, browser }: RouteDeps): void {
  // Ingest keys are safe in a browser, so the ingest endpoint answers CORS preflights. A
  // preflight carrying a publishable key (?key=hlp_...) is answered for its origins alone
  // (http/publishable.ts).
  app.options(
    '/v1/accounts/:acc/events',
    { config: { publishable: true }, schema: { hide: true, querystring: PublishableQuery } },
    async (_request, reply) => reply.code(204).headers(CORS).send(),
  );

  app.post(
    '/v1/accounts/:acc/events',
    {
      config: { access: 'ingest', publishable: true },
      onSend: async (request, reply) => {
        // A publishable key's answer names its one origin (set when the request came in), or
        // none when the origin is refused.
        if (request.principal?.role === 'publishable') return;
        reply.header('access-control-allow-origin', '*');
      },
      schema: {
        tags: ['events'],
        summary: 'Send one event, an array of events, or {events: [...]}',
        description:
          'Answers 202 once the events and their deliveries are durably stored. `id` is the idempotency key per account.',
        params: AccountParams,
        querystring: PublishableQuery,
        body: Type.Unknown({
          description: 'An event envelope (see GET /v1/event-types), an array of them, or {events: [...]}',
        }),
        response: {
          202: Type.Object({
            ids: Type.Array(Type.String()),
            refused: Type.Optional(
              Type.Array(
                Type.Object({
                  index: Type.Integer(),
                  id: Type.Union([Type.String(), Type.Null()]),
                  name: Type.Union([Type.String(), Type.Null()]),
                  reason: Type.String(),
                }),
                {
                  description:
                    'Publishable keys: the events of the batch left out (not allowed for the key, or invalid), the others being accepted',
                },
              ),
            ),
          }),
          429: { $ref: 'Error#' },
          413: { $ref: 'Error#' },
          422: { $ref: 'Error#' },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const { acc } = request.params as Static<typeof AccountParams>;
      const principal = request.principal;
      if (principal?.role === 'publishable' && principal.policy) {
        return reply.code(202).send(await browser.ingest(acc, principal.policy, request.body));
      }
      return reply.code(202).send(await ingest.ingest(acc, request.body));
    },
  );

  app.get(
    '/v1/event-types',
    {
      schema: {
        tags: ['events'],
        summary: 'The event catalog',
        response: { 200: Type.Object({ data: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) },
      },
    },
    async () => ({ data: EVENT_TYPES.map(toPublicEventType) }),
  );

  // Open listen streams never end by themselves: end them when the server closes, or close() would wait forever.
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
  });

  app.get(
    '/v1/accounts/:acc/listen',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['events'],
        summary: "Server-Sent Events stream of the account's events as they are ingested",
        description:
          'Each message: `event: event`, `id: <event id>`, `data: {"type": <type id or null>, "event": <the event>}`. `events` filters by type ids or names (comma-separated).',
        params: AccountParams,
        querystring: Type.Object(
          { events: Type.Optional(Type.String({ maxLength: 2000 })) },
          { additionalProperties: false },
        ),
      },
    },
    (request, reply) => {
      const { acc } = request.params as Static<typeof AccountParams>;
      const { events } = request.query as { events?: string };
      const wanted = events
        ? new Set(
            events
              .split(',')
              .map((name) => name.trim())
              .filter(Boolean),
          )
        : null;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write(': connected\n\n');
      const unsubscribe = bus.onIngested(acc, (batch) => {
        for (const event of batch) {
          if (
            wanted &&
            !wanted.has('*') &&
            !wanted.has(event.name) &&
            !(event.typeId && wanted.has(event.typeId))
          )
            continue;
          raw.write(
            `event: event\nid: ${event.id}\ndata: {"type":${JSON.stringify(event.typeId)},"event":${event.body}}\n\n`,
          );
        }
      });
      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
      streams.add(raw);
      request.raw.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(raw);
      });
    },
  );
}
