import { signal } from '@preact/signals';
import { isPortal } from './mode.ts';
import { tabStorage } from './storage.ts';

/** An error answer of the API, `{"error": {"code", "message", "details"}}`, or a lost connection (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const KEY = isPortal ? 'hooklane.portal-token' : 'hooklane.key';

/**
 * A portal link carries its token in the fragment (`#token=hls_...`), which no request sends:
 * it moves to sessionStorage and leaves the address bar, so it is not bookmarked or shared.
 */
function takeTokenFromFragment(): void {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!token) return;
  tabStorage.setItem(KEY, token);
  history.replaceState(history.state, '', location.pathname + location.search);
}
if (isPortal) takeTokenFromFragment();

/** The API key (or portal token) lives in this tab's sessionStorage only: never in a URL, gone when the tab closes. */
export const apiKey = signal<string | null>(tabStorage.getItem(KEY));
/** The server refused the key or token (401): the portal says its link expired or was revoked. */
export const refused = signal(false);
/** False while the server cannot be reached; a poll sets it back when the server answers again. */
export const online = signal(true);

export function setKey(key: string | null): void {
  if (key === null) tabStorage.removeItem(KEY);
  else tabStorage.setItem(KEY, key);
  apiKey.value = key;
}

let probe: ReturnType<typeof setTimeout> | undefined;
function lostServer(): void {
  online.value = false;
  if (probe) return;
  const check = async () => {
    try {
      const res = await fetch('/healthz', { cache: 'no-store' });
      if (res.ok) {
        online.value = true;
        probe = undefined;
        return;
      }
    } catch {
      // still down
    }
    probe = setTimeout(check, 2000);
  };
  probe = setTimeout(check, 1000);
}

/**
 * Calls the API with the signed-in key (or `options.key`). A 401 signs the user out (the sign-in screen shows
 * again); a network failure raises the "server lost" banner until /healthz answers again.
 */
export async function api<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  options: { key?: string } = {},
): Promise<T> {
  const key = options.key ?? apiKey.value;
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    lostServer();
    throw new ApiError(0, 'network', 'The server cannot be reached.');
  }
  online.value = true;
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: reported below
  }
  if (!res.ok) {
    const error = (json as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    // A key being tried (sign-in) is not the signed-in one: its 401 signs nobody out.
    if (res.status === 401 && options.key === undefined) {
      refused.value = true;
      setKey(null);
    }
    if (res.status === 502 || res.status === 503 || res.status === 504) lostServer();
    throw new ApiError(
      res.status,
      error?.code ?? 'http_error',
      error?.message ?? `The server answered ${res.status}.`,
      error?.details,
    );
  }
  return json as T;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Me {
  key_id: string;
  role: 'root' | 'admin' | 'viewer' | 'ingest';
  account_id: string | null;
  name: string | null;
}

export type Capability = 'read' | 'manage_webhooks' | 'read_secrets' | 'retry';

export interface PortalSession {
  id: string;
  account_id: string;
  capabilities: Capability[];
  name: string | null;
  expires_at: string;
}

export interface Account {
  id: string;
  name: string;
  created_at: string;
}

/** A webhook's own body: JSON with {{path}} placeholders (docs/destinations.md). */
export interface WebhookTemplate {
  body: unknown;
  content_type?: string;
  escape?: 'none' | 'slack';
}

/** One event of POST /webhooks/preview: whether the filter lets it through, and its body. */
export interface PreviewItem {
  event_id: string | null;
  name: string | null;
  matches: boolean;
  content_type: string | null;
  body: string | null;
  error: string | null;
}

export interface Webhook {
  id: string;
  name: string;
  url: string;
  events: string[];
  filters: { content_ids: string[] | null; match?: unknown };
  format: string;
  template?: WebhookTemplate | null;
  batch_window_ms: number;
  headers: Record<string, string>;
  enabled: boolean;
  disabled_reason: string | null;
  signed: boolean;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
  secret?: string | null;
}

export interface Attempt {
  id: string;
  number: number;
  started_at: string;
  duration_ms: number;
  url: string;
  request: { headers: Record<string, string>; body: string | null };
  response: { status: number; headers: Record<string, string>; body: string | null } | null;
  error: string | null;
  next_attempt_at: string | null;
}

export interface Delivery {
  id: string;
  webhook_id: string;
  event_id: string;
  event_ids?: string[];
  status: 'pending' | 'succeeded' | 'failed' | 'cancelled';
  format: string;
  attempt_count: number;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  attempts?: Attempt[];
}

export interface ApiKeyInfo {
  id: string;
  role: string;
  name: string | null;
  prefix: string;
  created_at: string;
  revoked_at: string | null;
  key?: string;
}

export interface EventType {
  id: string;
  label: string;
  source: 'appcues' | 'usetiful';
  names: string[];
  description: string;
  content_id_paths: string[];
  schema: unknown;
  sample: Record<string, unknown>;
}

export type Outcome = 'succeeded' | 'failed' | 'retrying' | 'pending' | 'cancelled';
type Counts = Record<Outcome, number> & { total: number };

/** GET /v1/accounts/{acc}/stats: deliveries by hour and outcome, per webhook too (rates are 0..1). */
export interface Stats {
  since: string;
  until: string;
  totals: Counts;
  success_rate: number | null;
  buckets: ({ start: string } & Record<Outcome, number>)[];
  webhooks: {
    id: string;
    name: string;
    enabled: boolean;
    failing_since: string | null;
    last_delivery_at: string | null;
    totals: Counts;
    success_rate: number | null;
    buckets: { start: string; count: number; success_rate: number | null }[];
  }[];
  failing: {
    id: string;
    name: string;
    failing_since: string;
    enabled: boolean;
    disabled_reason: string | null;
  }[];
  oldest_pending: { id: string; webhook_id: string; created_at: string; attempt_count: number } | null;
}

/** An event of GET /v1/accounts/{acc}/events (the latest stored, newest first). */
export interface LatestEvent {
  id: string;
  name: string;
  type: string | null;
  user_id: string;
  content_id: string | null;
  occurred_at: string;
  ingested_at: string;
  event: unknown;
}

/** GET /v1/accounts/{acc}/events/{id}/routing: each webhook's delivery of the event, or why none. */
export interface Routing {
  event_id: string;
  event_name: string;
  ingested_at: string;
  webhooks: {
    webhook_id: string;
    name: string;
    delivered: boolean;
    delivery: { id: string; status: string } | null;
    reason: string | null;
    changed_since_event: boolean;
  }[];
}

/** A query string from the defined values of `params`. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
