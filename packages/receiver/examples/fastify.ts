import { verify, WebhookVerificationError } from '@hooklane/receiver';
import Fastify from 'fastify';

export const app = Fastify();

app.register(async (scope) => {
  // In this scope only, keep JSON bodies as the raw Buffer that was signed.
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );
  scope.post<{ Body: Buffer }>('/webhooks/hooklane', async (request, reply) => {
    try {
      const event = await verify(request.body, request.headers, process.env.HOOKLANE_WEBHOOK_SECRET!);
      console.log('webhook', event.id, event.payload);
      return reply.code(204).send();
    } catch (err) {
      if (!(err instanceof WebhookVerificationError)) throw err;
      return reply.code(400).send(err.code);
    }
  });
});

if (import.meta.main) await app.listen({ port: 3000 });
