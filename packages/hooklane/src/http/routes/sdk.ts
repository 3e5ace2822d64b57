import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { HooklaneError } from '../../core/errors.ts';

/** The SDK's `<script>` build: from the installed package, else from the repository's build. */
function sdkFile(): URL[] {
  const candidates: URL[] = [];
  try {
    candidates.push(new URL(import.meta.resolve('@hooklane/browser/hooklane.js')));
  } catch {}
  candidates.push(new URL('../../../../browser/dist/hooklane.js', import.meta.url));
  return candidates;
}

/** The script and its Subresource Integrity hash, read once. */
export function loadSdk(): { code: Buffer; integrity: string } | undefined {
  for (const file of sdkFile()) {
    try {
      const code = readFileSync(file);
      return { code, integrity: `sha384-${createHash('sha384').update(code).digest('base64')}` };
    } catch {}
  }
  return undefined;
}

/**
 * `GET /sdk/hooklane.js`: the browser SDK (`@hooklane/browser`), for a `<script>` tag with an
 * `integrity` attribute. Cached for a week: a page pinning the hash gets the same bytes, and
 * a new release reaches pages within that time.
 */
export function sdkRoutes(app: FastifyInstance): void {
  let sdk: ReturnType<typeof loadSdk>;
  app.get('/sdk/hooklane.js', { schema: { hide: true } }, async (_request, reply) => {
    sdk ??= loadSdk();
    if (sdk === undefined) {
      throw new HooklaneError(
        'unavailable',
        'The browser SDK is not built: run `npm run build -w @hooklane/browser` (npm ci does it).',
      );
    }
    return (
      reply
        .type('text/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=604800')
        .header('etag', `"${sdk.integrity}"`)
        // A <script crossorigin integrity=...> is fetched with CORS: any page may load it.
        .header('access-control-allow-origin', '*')
        .header('x-content-type-options', 'nosniff')
        .send(sdk.code)
    );
  });
}
