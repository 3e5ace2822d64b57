import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { decodeCursor, toPage } from '../../services/pagination.ts';
import { roleOf } from '../auth.ts';
import { presentDelivery, presentDeliveryDetail } from '../presenters.ts';
import { AccountObjectParams, AccountParams, DeliveryQuery, DeliveryResponse, listOf } from '../schemas.ts';
import { ERROR_RESPONSES, type RouteDeps } from './deps.ts';

export function deliveryRoutes(app: FastifyInstance, { deliveries }: RouteDeps): void {
  const tags = ['deliveries'];

  app.get(
    '/v1/accounts/:acc/deliveries',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'List deliveries, newest first',
        params: AccountParams,
        querystring: DeliveryQuery,
        response: { 200: listOf(DeliveryResponse), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { acc } = request.params as Static<typeof AccountParams>;
      const query = request.query as Static<typeof DeliveryQuery>;
      const limit = query.limit ?? 50;
      const items = await deliveries.list(
        acc,
        {
          webhookId: query.webhook_id,
          eventId: query.event_id,
          eventType: query.event_type,
          status: query.status,
          since: query.since === undefined ? undefined : Date.parse(query.since),
          until: query.until === undefined ? undefined : Date.parse(query.until),
        },
        decodeCursor(query.cursor, limit),
      );
      const page = toPage(items, limit);
      return { data: page.items.map(presentDelivery), next_cursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/accounts/:acc/deliveries/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'Read a delivery with its attempts',
        params: AccountObjectParams,
        response: { 200: DeliveryResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { acc, id } = request.params as Static<typeof AccountObjectParams>;
      return presentDeliveryDetail(await deliveries.get(acc, id), roleOf(request));
    },
  );

  app.post(
    '/v1/accounts/:acc/deliveries/:id/retry',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Send a delivery again now',
        params: AccountObjectParams,
        response: { 202: DeliveryResponse, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { acc, id } = request.params as Static<typeof AccountObjectParams>;
      return reply.code(202).send(presentDelivery(await deliveries.retry(acc, id)));
    },
  );
}
