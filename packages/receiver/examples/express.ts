import { verify, WebhookVerificationError } from '@hooklane/receiver';
import express from 'express';

export const app = express();

// express.raw keeps the exact bytes that were signed; mount it on this route only.
app.post('/webhooks/hooklane', express.raw({ type: 'application/json' }), async (req, res) => {
  try {
    const event = await verify(req.body, req.headers, process.env.HOOKLANE_WEBHOOK_SECRET!);
    console.log('webhook', event.id, event.payload);
    res.sendStatus(204);
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    res.status(400).send(err.code);
  }
});

if (import.meta.main) app.listen(3000);
