import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { decodeCursor, toPage } from '../../services/pagination.ts';
import type { WebhookPatch } from '../../services/webhooks.ts';
import { roleOf, seesSecrets } from '../auth.ts';
import { presentDelivery, presentWebhook } from '../presenters.ts';
import {
  AccountObjectParams,
  AccountParams,
  CreateWebhookBody,
  DeliveryResponse,
  listOf,
  PageQuery,
  PreviewBody,
  PreviewResponse,
  RecoverBody,
  RotateSecretBody,
  TestWebhookBody,
  UpdateWebhookBody,
  WebhookResponse,
} from '../schemas.ts';
import { ERROR_RESPONSES, type RouteDeps } from './deps.ts';

type Params = Static<typeof AccountObjectParams>;

const toPatch = (body: Static<typeof UpdateWebhookBody>): WebhookPatch => ({
  name: body.name,
  url: body.url,
  events: body.events,
  filters:
    body.filters === undefined
      ? undefined
      : { contentIds: body.filters.content_ids, match: body.filters.match },
  format: body.format,
  template: body.template,
  batchWindowMs: body.batch_window_ms,
  headers: body.headers,
  enabled: body.enabled,
  trigger: body.trigger,
});

export function webhookRoutes(app: FastifyInstance, { webhooks }: RouteDeps): void {
  const tags = ['webhooks'];

  app.post(
    '/v1/accounts/:acc/webhooks',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Create a webhook; the response carries its secret',
        params: AccountParams,
        body: CreateWebhookBody,
        response: { 201: WebhookResponse, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { acc } = request.params as Static<typeof AccountParams>;
      const body = request.body as Static<typeof CreateWebhookBody>;
      const { webhook, secret } = await webhooks.create(
        acc,
        { ...toPatch(body), name: body.name, url: body.url, events: body.events, secret: body.secret },
        { seesSecrets: seesSecrets(request) },
      );
      // A portal session without read_secrets creates signed webhooks but is not shown the secret.
      const shown = seesSecrets(request) ? { secret } : {};
      return reply.code(201).send({ ...presentWebhook(webhook, roleOf(request)), ...shown });
    },
  );

  app.post(
    '/v1/accounts/:acc/webhooks/preview',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary:
          "Render a would-be webhook's bodies for the account's last 20 events (or the ones given), and say which its filter lets through",
        params: AccountParams,
        body: PreviewBody,
        response: { 200: PreviewResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { acc } = request.params as Static<typeof AccountParams>;
      const body = request.body as Static<typeof PreviewBody>;
      const { template, items } = await webhooks.preview(acc, {
        events: body.events,
        match: body.filters?.match,
        format: body.format,
        template: body.template,
      });
      return {
        template,
        data: items.map((item) => ({
          event_id: item.eventId,
          name: item.name,
          matches: item.matches,
          content_type: item.contentType,
          body: item.body,
          error: item.error,
        })),
      };
    },
  );

  app.get(
    '/v1/accounts/:acc/webhooks',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'List webhooks',
        params: AccountParams,
        querystring: PageQuery,
        response: { 200: listOf(WebhookResponse), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { acc } = request.params as Static<typeof AccountParams>;
      const { cursor, limit = 50 } = request.query as Static<typeof PageQuery>;
      const page = toPage(await webhooks.list(acc, decodeCursor(cursor, limit)), limit);
      const role = roleOf(request);
      return {
        data: page.items.map((webhook) => presentWebhook(webhook, role)),
        next_cursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/v1/accounts/:acc/webhooks/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'Read a webhook',
        params: AccountObjectParams,
        response: { 200: WebhookResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { acc, id } = request.params as Params;
      return presentWebhook(await webhooks.get(acc, id), roleOf(request));
    },
  );

  app.patch(
    '/v1/accounts/:acc/webhooks/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Edit a webhook (merge: fields left out stay)',
        params: AccountObjectParams,
        body: UpdateWebhookBody,
        response: { 200: WebhookResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { acc, id } = request.params as Params;
      return presentWebhook(
        await webhooks.update(acc, id, toPatch(request.body as Static<typeof UpdateWebhookBody>), {
          seesSecrets: seesSecrets(request),
        }),
        roleOf(request),
      );
    },
  );

  app.delete(
    '/v1/accounts/:acc/webhooks/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Delete a webhook and cancel its pending deliveries',
        params: AccountObjectParams,
        response: { 204: { type: 'null' }, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { acc, id } = request.params as Params;
      await webhooks.delete(acc, id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/accounts/:acc/webhooks/:id/secret',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: "Read the webhook's signing secret",
        params: AccountObjectParams,
        response: {
          200: Type.Object({ secret: Type.Union([Type.String(), Type.Null()]) }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const { acc, id } = request.params as Params;
      return { secret: await webhooks.secret(acc, id) };
    },
  );

  app.post(
    '/v1/accounts/:acc/webhooks/:id/rotate-secret',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Rotate the signing secret; the old one stays valid for a grace period',
        params: AccountObjectParams,
        // The body is optional: Fastify validates a missing body as null, which TypeBox's
        // Optional does not admit, so null is listed explicitly.
        body: Type.Union([RotateSecretBody, Type.Null()]),
        response: {
          200: Type.Object({
            secret: Type.Union([Type.String(), Type.Null()]),
            previous_secret_valid_until: Type.String({ format: 'date-time' }),
          }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const { acc, id } = request.params as Params;
      const body = (request.body ?? {}) as Static<typeof RotateSecretBody>;
      const rotated = await webhooks.rotateSecret(acc, id, body.secret, body.grace_period_ms);
      return {
        secret: rotated.secret,
        previous_secret_valid_until: new Date(rotated.previousValidUntil).toISOString(),
      };
    },
  );

  app.post(
    '/v1/accounts/:acc/webhooks/:id/test',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: "Send the catalog's sample of a type to this webhook",
        params: AccountObjectParams,
        body: TestWebhookBody,
        response: { 202: DeliveryResponse, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { acc, id } = request.params as Params;
      const { event_type } = request.body as Static<typeof TestWebhookBody>;
      return reply.code(202).send(presentDelivery(await webhooks.test(acc, id, event_type)));
    },
  );
}

export function recoverRoute(app: FastifyInstance, { deliveries }: RouteDeps): void {
  app.post(
    '/v1/accounts/:acc/webhooks/:id/recover',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['webhooks', 'deliveries'],
        summary: "Re-queue the webhook's failed deliveries created since a time (or count them: dry_run)",
        params: AccountObjectParams,
        body: RecoverBody,
        response: {
          200: Type.Object(
            { recovered: Type.Integer(), dry_run: Type.Literal(true) },
            {
              description: 'dry_run: how many would be re-queued; nothing changed',
            },
          ),
          202: Type.Object({ recovered: Type.Integer() }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const { acc, id } = request.params as Params;
      const { since, until, dry_run } = request.body as Static<typeof RecoverBody>;
      const window = [Date.parse(since), until === undefined ? undefined : Date.parse(until)] as const;
      if (dry_run === true) {
        return reply
          .code(200)
          .send({ recovered: await deliveries.countRecoverable(acc, id, ...window), dry_run });
      }
      const recovered = await deliveries.recover(acc, id, ...window);
      return reply.code(202).send({ recovered });
    },
  );
}
