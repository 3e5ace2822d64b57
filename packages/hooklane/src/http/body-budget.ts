import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HooklaneError } from '../core/errors.ts';

/**
 * Bounds the request bodies being read, parsed and stored at once, so that memory stays
 * bounded however many clients send large batches together: a request that would take the
 * total past `budgetBytes` is answered 503 `overloaded` (with Retry-After) in `onRequest`,
 * before its body is read. Each request reserves its Content-Length (the body limit when it
 * has none) until its response is sent or it is aborted. One request is always admitted, so
 * any body within the body limit can get through.
 */
export function installBodyBudget(app: FastifyInstance, budgetBytes: number, maxBodyBytes: number): void {
  const reserved = new WeakMap<FastifyRequest, number>();
  let inUse = 0;
  const release = (request: FastifyRequest) => {
    const bytes = reserved.get(request);
    if (bytes === undefined) return;
    reserved.delete(request);
    inUse -= bytes;
  };
  app.addHook('onRequest', async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'DELETE') return;
    const declared = Number(request.headers['content-length']);
    const bytes =
      Number.isFinite(declared) && declared >= 0 ? Math.min(declared, maxBodyBytes) : maxBodyBytes;
    if (inUse > 0 && inUse + bytes > budgetBytes) throw new HooklaneError('overloaded');
    inUse += bytes;
    reserved.set(request, bytes);
  });
  app.addHook('onResponse', async (request) => release(request));
  app.addHook('onRequestAbort', async (request) => release(request));
}
