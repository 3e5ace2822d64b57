/**
 * The CLI's HTTP client for the Hooklane API, and the errors that decide the exit code:
 * 1 the API answered with an error, 2 usage or configuration, 3 the server cannot be reached.
 */
import type { Role } from '../core/model.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

/** An error the CLI reports on stderr (`hooklane: <message>`) before exiting with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Bad arguments, a missing key or account, an unreadable file or profile: exit 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

/** No answer from the server (refused, DNS, timeout, connection cut): exit 3. */
export class UnreachableError extends CliError {
  constructor(message: string) {
    super(message, EXIT.unreachable);
    this.name = 'UnreachableError';
  }
}

/** The API answered 4xx/5xx: its stable `code`, message and details; exit 1. */
export class ApiError extends CliError {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(`${code}: ${message}`, EXIT.failed);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Where the CLI talks to and as whom, once flags, environment and profile are resolved. */
export interface Connection {
  readonly url: string;
  readonly key: string | null;
  readonly account: string | null;
  /** The saved profile the key came from, if it came from one. */
  readonly profile?: string | null;
}

/** The calling key, as `GET /v1/me` describes it. */
export interface Me {
  readonly key_id: string;
  readonly role: Role;
  readonly account_id: string | null;
  readonly name: string | null;
}

/** What an account-scoped command says when it cannot tell which account to act on. */
export const NO_ACCOUNT =
  'no account: pass --account <id> (the root key belongs to no account), set HOOKLANE_ACCOUNT, ' +
  'or save one in the profile with `hooklane accounts use <id>`';

export type Query = Readonly<Record<string, string | number | undefined>>;

export interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Query;
  /** Public endpoints (`/v1/event-types`) need no key. Default true. */
  readonly auth?: boolean;
}

/** Turns a non-2xx response into an {@link ApiError}, reading the API's `{error: {code, message, details}}`. */
export async function apiErrorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const error = parsed.error;
    if (error && typeof error.code === 'string') {
      return new ApiError(response.status, error.code, String(error.message ?? ''), error.details);
    }
  } catch {
    // Not the API's error shape (a proxy's page, say): report the status and the start of the body.
  }
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new ApiError(response.status, `http_${response.status}`, snippet || response.statusText || 'error');
}

/** Why a request got no answer, as an {@link UnreachableError} naming the server. */
export function unreachable(baseUrl: string, error: unknown): UnreachableError {
  let reason = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    reason = 'no answer in time';
  } else if (error instanceof Error && error.cause instanceof Error) {
    // undici wraps the socket error; an AggregateError (several addresses) has an empty message.
    const cause = error.cause as NodeJS.ErrnoException;
    reason =
      cause.message === '' || (cause.code && !cause.message.includes(cause.code))
        ? [cause.code, cause.message].filter(Boolean).join(': ')
        : cause.message;
  }
  return new UnreachableError(`cannot reach ${baseUrl}: ${reason}`);
}

/** A small fetch-based client: base URL, bearer key, JSON in and out, errors mapped to exit codes. */
export class ApiClient {
  readonly baseUrl: string;
  readonly profile: string | null;
  readonly #key: string | null;
  #account: string | null;
  readonly #timeoutMs: number;

  constructor(connection: Connection, options: { timeoutMs?: number } = {}) {
    let url: URL;
    try {
      url = new URL(connection.url);
    } catch {
      throw new UsageError(`invalid server URL "${connection.url}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`the server URL must be http:// or https:// (got "${connection.url}")`);
    }
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.#key = connection.key;
    this.#account = connection.account;
    this.profile = connection.profile ?? null;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The account id every account-scoped command needs (see {@link resolveAccount}). */
  get account(): string {
    if (this.#account === null) throw new UsageError(NO_ACCOUNT);
    return this.#account;
  }

  /** The calling key: its id, role and account. */
  me(): Promise<Me> {
    return this.request<Me>('GET', '/v1/me');
  }

  /**
   * Settles the account: the one given (flag, environment, profile), else the key's own
   * account, asked of the server. The root key belongs to no account, so it needs one given.
   */
  async resolveAccount(): Promise<string> {
    if (this.#account === null) {
      const me = await this.me();
      if (me.account_id === null) throw new UsageError(NO_ACCOUNT);
      this.#account = me.account_id;
    }
    return this.#account;
  }

  /** `/v1/accounts/{acc}` + `rest`, the account's path segment URL-encoded. */
  accountPath(rest = ''): string {
    return `/v1/accounts/${encodeURIComponent(this.account)}${rest}`;
  }

  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) params.set(name, String(value));
    const search = params.size > 0 ? `?${params}` : '';
    return `${this.baseUrl}${path}${search}`;
  }

  headers(auth = true): Record<string, string> {
    const headers: Record<string, string> = { 'user-agent': 'hooklane-cli' };
    if (auth) {
      if (this.#key === null) {
        throw new UsageError('no API key: pass --key, set HOOKLANE_KEY, or save one with `hooklane login`');
      }
      headers.authorization = `Bearer ${this.#key}`;
    }
    return headers;
  }

  /** Sends one request and returns the parsed JSON body (undefined for 204). */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers = this.headers(options.auth ?? true);
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const url = this.url(path, options.query);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.#timeoutMs) });
      if (!response.ok) throw await apiErrorOf(response);
      text = await response.text();
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw unreachable(this.baseUrl, error);
    }
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(
        response.status,
        'invalid_response',
        `the server answered non-JSON: ${text.slice(0, 200)}`,
      );
    }
  }

  /** Follows `next_cursor` until the list ends (or `max` items). */
  async listAll<T>(path: string, query: Query = {}, max = Number.POSITIVE_INFINITY): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request<{ data: T[]; next_cursor: string | null }>('GET', path, {
        query: { ...query, limit: 250, cursor },
      });
      items.push(...page.data);
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined && items.length < max);
    return items;
  }
}
