/**
 * The error catalogue: every error the API can answer with has a stable code, an HTTP
 * status and a default message, in this one place. `http/error-handler.ts` is the only
 * code that turns these into responses.
 */
export const ERROR_CATALOGUE = {
  unauthorized: { status: 401, message: 'A valid API key is required (Authorization: Bearer <key>).' },
  forbidden: { status: 403, message: 'This key is not allowed to do that.' },
  not_found: { status: 404, message: 'Not found.' },
  validation_failed: { status: 400, message: 'The request is invalid.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  unknown_query_parameter: { status: 400, message: 'Unknown query parameter.' },
  unsafe_url: { status: 400, message: 'The webhook URL is not allowed.' },
  invalid_cursor: { status: 400, message: 'The cursor is invalid.' },
  unexpected_body: { status: 400, message: 'This endpoint takes no request body.' },
  malformed_request: { status: 400, message: 'The request is not valid HTTP.' },
  request_timeout: { status: 408, message: 'The request took too long to arrive.' },
  conflict: { status: 409, message: 'The request conflicts with the current state.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  event_too_large: { status: 413, message: 'An event is larger than the limit.' },
  uri_too_long: { status: 414, message: 'The request URL is too long.' },
  unsupported_media_type: { status: 415, message: 'Send JSON with Content-Type: application/json.' },
  invalid_event: { status: 422, message: 'An event is invalid.' },
  origin_not_allowed: { status: 403, message: "This key may not be used from this page's origin." },
  length_required: { status: 411, message: 'Send the request body with a Content-Length.' },
  rate_limited: {
    status: 429,
    message: 'Too many requests for this key; retry after the Retry-After delay.',
  },
  headers_too_large: { status: 431, message: 'The request headers are too large.' },
  unavailable: { status: 503, message: 'The service is temporarily unavailable; retry shortly.' },
  overloaded: { status: 503, message: 'The server is busy with other requests; retry shortly.' },
  internal: { status: 500, message: 'Internal error.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The one exception type of Hooklane: carries its stable code, HTTP status and details. */
export class HooklaneError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.name = 'HooklaneError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = details;
  }
}

/** Shorthand for the 404 every cross-account or missing lookup answers with. */
export function notFound(what: string): HooklaneError {
  return new HooklaneError('not_found', `${what} not found.`);
}
