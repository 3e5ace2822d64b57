import { createServer } from 'node:http';
import { verify, WebhookVerificationError } from '@hooklane/receiver';

export const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk);
  try {
    const event = await verify(Buffer.concat(chunks), req.headers, process.env.HOOKLANE_WEBHOOK_SECRET!);
    console.log('webhook', event.id, event.payload); // de-duplicate on event.id: delivery is at-least-once
    res.writeHead(204).end();
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    res.writeHead(400).end(err.code);
  }
});

if (import.meta.main) server.listen(3000);
