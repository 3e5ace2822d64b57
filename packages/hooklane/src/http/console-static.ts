import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HooklaneError } from '../core/errors.ts';

/** Where `npm run build --workspace @hooklane/console` writes the console (from src/http or dist/http alike). */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

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

// The console talks only to this server; it is never framed, and it sends no Referer.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** Vite names built assets by content hash (`index-4rxNMEzO.js`), so they never change under a name. */
const HASHED = /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

// The app carries its own state in the query string (filters, the portal's branding), so any query is accepted.
const ANY_QUERY = { type: 'object', additionalProperties: true } as const;

/** One single-page app under a path prefix: where its files are, and the headers its page carries. */
export interface SpaMount {
  /** `/ui` or `/portal`: the app's router handles the paths below it. */
  prefix: string;
  dir: string;
  pageHeaders: Record<string, string>;
  /** Named in the errors: "The console is not built", "No portal file ...". */
  label: string;
}

/**
 * Serves the built app at `mount.prefix`: files from `mount.dir` with their content types
 * (hashed assets cached for a year, `index.html` never cached), and `index.html` for every
 * other path without a file extension so that the app's own router handles deep links. When
 * the app has not been built, the prefix answers a `not_found` error that says how to build it.
 */
export function serveSpa(app: FastifyInstance, mount: SpaMount): void {
  const root = resolve(mount.dir);

  async function sendFile(reply: FastifyReply, file: string, immutable: boolean) {
    const body = await readFile(file);
    const isPage = file.endsWith('.html');
    return reply
      .code(200)
      .headers({
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        'x-content-type-options': 'nosniff',
        ...(isPage ? mount.pageHeaders : {}),
      })
      .send(body);
  }

  async function isFile(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isFile();
    } catch {
      return false;
    }
  }

  async function handle(path: string, reply: FastifyReply) {
    const index = join(root, 'index.html');
    if (!(await isFile(index))) {
      throw new HooklaneError(
        'not_found',
        `The ${mount.label} is not built: run \`npm run build --workspace @hooklane/console\` (npm ci does it too).`,
      );
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      throw new HooklaneError('not_found', `No ${mount.label} file ${path}.`);
    }
    const file = resolve(root, `.${sep}${decoded}`);
    const inside = file.startsWith(root + sep);
    if (inside && !decoded.includes('\0') && (await isFile(file))) {
      return sendFile(reply, file, HASHED.test(file) && !file.endsWith('.html'));
    }
    // A missing file (a stale asset name) is a 404, not the page: a browser would run HTML as a script.
    if (extname(decoded) !== '') throw new HooklaneError('not_found', `No ${mount.label} file ${path}.`);
    return sendFile(reply, index, false);
  }

  const schema = { hide: true, querystring: ANY_QUERY };
  app.get(mount.prefix, { schema }, async (_request, reply) => handle('', reply));
  app.get(`${mount.prefix}/*`, { schema }, async (request, reply) =>
    handle((request.params as { '*': string })['*'], reply),
  );
}

/** The console at `/ui`, for operators and account admins; never framed. */
export function serveConsole(app: FastifyInstance, dir: string = CONSOLE_DIST): void {
  serveSpa(app, { prefix: '/ui', dir, pageHeaders: PAGE_HEADERS, label: 'console' });
}
