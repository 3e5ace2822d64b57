import type { FastifyInstance } from 'fastify';
import { CONSOLE_DIST, serveSpa } from './console-static.ts';

/** The portal is the console's app, served under another prefix with headers of its own. */
export const PORTAL_DIST = CONSOLE_DIST;

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

/** The app at `/portal` for a platform's customers, in a frame (see serveSpa). */
export function servePortal(app: FastifyInstance, frameAncestors: string, dir: string = PORTAL_DIST): void {
  serveSpa(app, { prefix: '/portal', dir, pageHeaders: portalPageHeaders(frameAncestors), label: 'portal' });
}
