import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATALOGUE, type ErrorCode, HooklaneError } from '../core/errors.ts';
import { StoreUnavailableError } from '../store/store.ts';

/** Fastify's own errors that a client causes, mapped to our catalogue. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

function send(reply: FastifyReply, error: HooklaneError) {
  const body = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
  // 503s are temporary by definition: tell clients when to come back.
  if (error.status === 503) reply.header('retry-after', '1');
  return reply.code(error.status).type('application/json').send(body);
}

/** The one place that turns errors into HTTP responses: `{"error": {"code", "message", "details"}}`. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(
    (raw: FastifyError | HooklaneError | Error, request: FastifyRequest, reply: FastifyReply) => {
      if (raw instanceof HooklaneError) return send(reply, raw);
      const error = raw as FastifyError;
      if (error.validation) {
        const details = error.validation.map((issue) => ({
          path: `${error.validationContext ?? ''}${issue.instancePath}`,
          message: issue.message ?? 'invalid',
          ...(issue.keyword === 'additionalProperties'
            ? { property: (issue.params as { additionalProperty?: string }).additionalProperty }
            : {}),
        }));
        const unknownQuery =
          error.validationContext === 'querystring' &&
          error.validation.some((i) => i.keyword === 'additionalProperties');
        const first = details[0];
        const message = unknownQuery
          ? `Unknown query parameter "${first?.property ?? ''}".`
          : `Invalid ${error.validationContext ?? 'request'}: ${first ? `${first.path} ${first.message}` : 'invalid'}.`;
        return send(
          reply,
          new HooklaneError(unknownQuery ? 'unknown_query_parameter' : 'validation_failed', message, details),
        );
      }
      const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
      if (mapped) return send(reply, new HooklaneError(mapped));
      // JSON syntax errors and secure-json-parse's prototype-poisoning refusals.
      if (
        error instanceof SyntaxError ||
        (error.statusCode === 400 && /proto|constructor|JSON/i.test(error.message))
      ) {
        return send(
          reply,
          new HooklaneError('invalid_json', `The request body is not acceptable JSON: ${error.message}`),
        );
      }
      if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
        return send(reply, new HooklaneError('validation_failed', error.message));
      }
      if (raw instanceof StoreUnavailableError) {
        return send(reply, new HooklaneError('unavailable'));
      }
      request.log.error({ err: error }, 'unhandled error');
      return send(reply, new HooklaneError('internal', ERROR_CATALOGUE.internal.message));
    },
  );

  app.setNotFoundHandler((request, reply) =>
    send(reply, new HooklaneError('not_found', `No route ${request.method} ${request.url.split('?')[0]}.`)),
  );
}
