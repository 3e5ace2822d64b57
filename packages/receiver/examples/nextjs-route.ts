// app/webhooks/hooklane/route.ts
import { verify, WebhookVerificationError } from '@hooklane/receiver';

export async function POST(request: Request): Promise<Response> {
  try {
    const body = await request.arrayBuffer(); // the exact bytes that were signed
    const event = await verify(body, request.headers, process.env.HOOKLANE_WEBHOOK_SECRET!);
    console.log('webhook', event.id, event.payload);
    return new Response(null, { status: 204 });
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    return new Response(err.code, { status: 400 });
  }
}
