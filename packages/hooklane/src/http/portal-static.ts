import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HooklaneError } from '../core/errors.ts';

/** Where `npm run build --workspace @hooklane/console` writes the app the portal is (from src/http or dist/http alike). */
export const PORTAL_DIST = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The portal page is made to be framed by the platform that embeds it (`frameAncestors`), so it
 * sends no X-Frame-Options; it talks only to this server, shows a logo from any https URL
 * (a URL parameter), and sends no Referer, so its token (in the fragment) never leaves it.
 */
export const portalPageHeaders = (frameAncestors: string): Record<string, string> => ({
  'content-security-policy': `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self'; frame-ancestors ${frameAncestors}; base-uri 'none'; form-action 'none'`,
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
});

/** Vite names built assets by content hash (`index-4rxNMEzO.js`), so they never change under a name. */
const HASHED = /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

// The page reads its branding from the query string (accent, logo, theme), so any query is accepted.
const ANY_QUERY = { type: 'object', additionalProperties: true } as const;

/**
 * Serves the built app at `/portal` for a platform's customers, in a frame: files from `dir`
 * (hashed assets cached for a year, `index.html` never cached), and `index.html` for every
 * other path without an extension, so that the app's router handles deep links. When the app
 * has not been built, `/portal` answers a `not_found` error that says how to build it.
 */
export function servePortal(app: FastifyInstance, frameAncestors: string, dir: string = PORTAL_DIST): void {
  const root = resolve(dir);
  const pageHeaders = portalPageHeaders(frameAncestors);

  async function isFile(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isFile();
    } catch {
      return false;
    }
  }

  async function sendFile(reply: FastifyReply, file: string) {
    const body = await readFile(file);
    const isPage = file.endsWith('.html');
    return reply
      .code(200)
      .headers({
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': HASHED.test(file) && !isPage ? 'public, max-age=31536000, immutable' : 'no-cache',
        'x-content-type-options': 'nosniff',
        ...(isPage ? pageHeaders : {}),
      })
      .send(body);
  }

  async function handle(path: string, reply: FastifyReply) {
    const index = join(root, 'index.html');
    if (!(await isFile(index))) {
      throw new HooklaneError(
        'not_found',
        'The portal is not built: run `npm run build --workspace @hooklane/console` (npm ci does it too).',
      );
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      throw new HooklaneError('not_found', `No portal file ${path}.`);
    }
    const file = resolve(root, `.${sep}${decoded}`);
    const inside = file.startsWith(root + sep);
    if (inside && !decoded.includes('\0') && (await isFile(file))) return sendFile(reply, file);
    // A missing file (a stale asset name) is a 404, not the page: a browser would run HTML as a script.
    if (extname(decoded) !== '') throw new HooklaneError('not_found', `No portal file ${path}.`);
    return sendFile(reply, index);
  }

  const schema = { hide: true, querystring: ANY_QUERY };
  app.get('/portal', { schema }, async (_request, reply) => handle('', reply));
  app.get('/portal/*', { schema }, async (request, reply) =>
    handle((request.params as { '*': string })['*'], reply),
  );
}
