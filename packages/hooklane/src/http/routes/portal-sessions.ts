import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseDuration } from '../../core/durations.ts';
import { HooklaneError, notFound } from '../../core/errors.ts';
import {
  AccountParams,
  CreatePortalSessionBody,
  CurrentPortalSessionResponse,
  PortalSessionResponse,
} from '../schemas.ts';
import { ERROR_RESPONSES, type RouteDeps } from './deps.ts';

/** The server's URL as the browser that will open the link reaches it. */
const publicBase = (configured: string | null, request: FastifyRequest): string =>
  configured ?? `${request.protocol}://${request.host}`;

export function portalSessionRoutes(app: FastifyInstance, { portalSessions, config }: RouteDeps): void {
  const tags = ['portal'];

  app.post(
    '/v1/accounts/:acc/portal-sessions',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary:
          'Create a portal session: a link to the embeddable portal with a token limited to capabilities',
        description:
          'Capabilities: `read` (webhooks, deliveries, stats, routing), `manage_webhooks` (create, edit, delete, test), `read_secrets` (signing secrets and static header values), `retry` (retry and recover deliveries). The token travels in the URL fragment, which browsers never send to a server.',
        params: AccountParams,
        body: CreatePortalSessionBody,
        response: { 201: PortalSessionResponse, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      // Portal sessions are an admin key's to give: a session cannot make others.
      const { acc } = request.params as Static<typeof AccountParams>;
      const body = request.body as Static<typeof CreatePortalSessionBody>;
      const { session, token } = await portalSessions.create(acc, {
        capabilities: body.capabilities,
        ttlMs: body.ttl === undefined ? undefined : parseDuration(body.ttl),
        name: body.name,
      });
      return reply.code(201).send({
        id: session.id,
        url: `${publicBase(config.publicUrl, request)}/portal#token=${encodeURIComponent(token)}`,
        token,
        capabilities: session.capabilities,
        name: session.name,
        expires_at: new Date(session.expiresAt).toISOString(),
      });
    },
  );

  app.get(
    '/v1/portal-session',
    {
      config: { access: 'key' },
      schema: {
        tags,
        summary: 'The calling portal session: its account, capabilities and expiry (a portal token only)',
        response: { 200: CurrentPortalSessionResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (!principal) throw new HooklaneError('unauthorized');
      if (!principal.portal || principal.accountId === null) throw notFound('Portal session');
      return {
        id: principal.keyId,
        account_id: principal.accountId,
        capabilities: principal.portal.capabilities,
        name: principal.name,
        expires_at: new Date(principal.portal.expiresAt).toISOString(),
      };
    },
  );

  app.delete(
    '/v1/accounts/:acc/portal-sessions',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Revoke every portal session of the account, at once, in every process',
        params: AccountParams,
        response: { 204: { type: 'null' }, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { acc } = request.params as Static<typeof AccountParams>;
      await portalSessions.revokeAll(acc);
      return reply.code(204).send();
    },
  );
}
