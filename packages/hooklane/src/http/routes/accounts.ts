import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { HooklaneError } from '../../core/errors.ts';
import { presentAccount, presentKey } from '../presenters.ts';
import {
  AccountObjectParams,
  AccountParams,
  AccountResponse,
  CreateAccountBody,
  CreateKeyBody,
  KeyResponse,
  listOf,
  MeResponse,
  RootKeyResponse,
} from '../schemas.ts';
import { ERROR_RESPONSES, type RouteDeps } from './deps.ts';

export function accountRoutes(app: FastifyInstance, { accounts }: RouteDeps): void {
  app.get(
    '/v1/me',
    {
      config: { access: 'key' },
      schema: {
        tags: ['keys'],
        summary: 'The calling key: its id, role and account (any key)',
        response: { 200: MeResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (!principal) throw new HooklaneError('unauthorized');
      return {
        key_id: principal.keyId,
        role: principal.role,
        account_id: principal.accountId,
        name: principal.name,
      };
    },
  );

  app.post(
    '/v1/root-key/rotate',
    {
      config: { access: 'root' },
      schema: {
        tags: ['keys'],
        summary: 'Replace the root key (root key); the new one is shown once, the old one stops working',
        response: { 200: RootKeyResponse, 409: { $ref: 'Error#' }, ...ERROR_RESPONSES },
      },
    },
    async () => ({ key: await accounts.rotateRootKey() }),
  );

  app.post(
    '/v1/accounts',
    {
      config: { access: 'root' },
      schema: {
        tags: ['accounts'],
        summary: 'Create an account (root key)',
        body: CreateAccountBody,
        response: { 201: AccountResponse, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { name } = request.body as Static<typeof CreateAccountBody>;
      return reply.code(201).send(presentAccount(await accounts.create(name)));
    },
  );

  app.get(
    '/v1/accounts/:acc',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['accounts'],
        summary: 'Read an account',
        params: AccountParams,
        response: { 200: AccountResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) =>
      presentAccount(await accounts.get((request.params as Static<typeof AccountParams>).acc)),
  );

  app.post(
    '/v1/accounts/:acc/keys',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['keys'],
        summary: 'Create an API key (shown once)',
        params: AccountParams,
        body: CreateKeyBody,
        response: { 201: KeyResponse, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { acc } = request.params as Static<typeof AccountParams>;
      const { role, name } = request.body as Static<typeof CreateKeyBody>;
      const { apiKey, key } = await accounts.createKey(acc, role, name ?? null);
      return reply.code(201).send({ ...presentKey(apiKey), key });
    },
  );

  app.get(
    '/v1/accounts/:acc/keys',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['keys'],
        summary: 'List API keys (never their values)',
        params: AccountParams,
        response: { 200: listOf(KeyResponse), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { acc } = request.params as Static<typeof AccountParams>;
      return { data: (await accounts.listKeys(acc)).map(presentKey), next_cursor: null };
    },
  );

  app.delete(
    '/v1/accounts/:acc/keys/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['keys'],
        summary: 'Revoke an API key',
        params: AccountObjectParams,
        response: { 204: { type: 'null' }, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { acc, id } = request.params as Static<typeof AccountObjectParams>;
      await accounts.revokeKey(acc, id, request.principal?.keyId ?? '');
      return reply.code(204).send();
    },
  );
}
