import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATALOGUE, type ErrorCode, HooklaneError } from '../core/errors.ts';
import { StoreUnavailableError } from '../store/store.ts';

/** Fastify's own errors that a client causes, mapped to our catalogue. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
};

function bodyOf(error: HooklaneError) {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}

function send(reply: FastifyReply, error: HooklaneError) {
  // 503s are temporary by definition: tell clients when to come back.
  if (error.status === 503) reply.header('retry-after', '1');
  return reply.code(error.status).type('application/json').send(bodyOf(error));
}

/**
 * Fastify's `frameworkErrors` option: what its router refuses before any route runs (a path
 * parameter longer than the router's limit, a percent-encoding that is not UTF-8) is answered
 * here rather than in Fastify's own shape.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return send(reply, new HooklaneError('uri_too_long', 'A path segment of the URL is too long.'));
  }
  return send(
    reply,
    new HooklaneError(
      'malformed_request',
      'The URL is not valid: a percent-encoded part of its path does not decode to UTF-8 text.',
    ),
  );
}

/** Node's parser errors that are the client's, by code (anything else is `malformed_request`). */
const CLIENT_ERROR_CODES: Record<string, ErrorCode> = {
  HPE_HEADER_OVERFLOW: 'headers_too_large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'payload_too_large',
  ERR_HTTP_REQUEST_TIMEOUT: 'request_timeout',
};

/**
 * Fastify's `clientErrorHandler` option: a request Node's HTTP parser refuses (headers over
 * its size limit, a malformed request line, a request that never finishes arriving) never
 * reaches Fastify, so the answer is written to the socket here, in the catalogue's shape.
 */
export function clientErrorHandler(logger: FastifyBaseLogger) {
  return (raw: Error, socket: Socket): void => {
    const cause = raw as NodeJS.ErrnoException;
    if (cause.code === 'ECONNRESET' || socket.destroyed) return;
    const error = new HooklaneError(CLIENT_ERROR_CODES[cause.code ?? ''] ?? 'malformed_request');
    logger.debug({ err: cause }, 'refused a request the HTTP parser could not read');
    // As Node does: never write into a response that has already begun on this connection.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const body = JSON.stringify(bodyOf(error));
      socket.write(
        `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(cause);
  };
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
