import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EVENT_TYPES } from '../../core/catalog.ts';

const file = (name: string): string => readFileSync(new URL(`../testbench/${name}`, import.meta.url), 'utf8');

/**
 * `/testbench`: a small product page (a modal flow, an NPS survey, a checklist, a pin, a banner,
 * a tour ending in a trigger) that sends the catalog's events through the browser SDK with the
 * publishable key given in its URL. Static files; the catalog's samples give the events' shapes.
 */
export function testbenchRoutes(app: FastifyInstance): void {
  const page = file('index.html');
  const script = file('app.js');
  const style = file('style.css');
  const samples = `window.HOOKLANE_SAMPLES = ${JSON.stringify(
    Object.fromEntries(EVENT_TYPES.map((type) => [type.id, type.sample])),
  )};\n`;
  const query = Type.Object(
    {
      account: Type.Optional(Type.String({ maxLength: 64 })),
      key: Type.Optional(Type.String({ maxLength: 200 })),
      url: Type.Optional(Type.String({ maxLength: 2048 })),
      user: Type.Optional(Type.String({ maxLength: 200 })),
    },
    { additionalProperties: false },
  );
  const hidden = { hide: true };
  app.get('/testbench', { schema: { ...hidden, querystring: query } }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      // The key is in the URL: it must not leak to other sites through the Referer.
      .header('referrer-policy', 'no-referrer')
      .send(page),
  );
  const serve = (path: string, type: string, body: string) =>
    app.get(path, { schema: hidden }, async (_request, reply) =>
      reply.type(type).header('cache-control', 'no-cache').send(body),
    );
  serve('/testbench/app.js', 'text/javascript; charset=utf-8', script);
  serve('/testbench/samples.js', 'text/javascript; charset=utf-8', samples);
  serve('/testbench/style.css', 'text/css; charset=utf-8', style);
}
