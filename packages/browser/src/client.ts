/**
 * The SDK's core: a queue of events kept in `localStorage`, sent in batches to
 * `POST {url}/v1/accounts/{account}/events`, with retries. Everything that touches the browser
 * (clock, storage, fetch, timers, page lifecycle) comes through {@link Env}, so that the rules
 * can be tested with a fake clock.
 *
 * @module
 */

/** The part of `localStorage` the SDK uses. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The part of a fetch `Response` the SDK reads. */
export interface ResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
}

/** What the SDK passes to `fetch`. */
export interface RequestOptions {
  method: 'POST';
  body: string;
  keepalive: boolean;
  headers: Record<string, string>;
  credentials: 'omit';
}

/** Something to listen on: `window` (pagehide) or `document` (visibilitychange). */
export interface Listenable {
  addEventListener(type: string, listener: () => void): void;
}

/** What the SDK needs from its surroundings; {@link browserEnv} gives the browser's. */
export interface Env {
  fetch(url: string, options: RequestOptions): Promise<ResponseLike>;
  /** `undefined` (or throwing, as in some private modes) keeps the queue in memory only. */
  storage: StorageLike | undefined;
  /** Wall clock, ms since the epoch: only for events that outlive their page. */
  now(): number;
  /** Monotonic clock in ms (`performance.now()`): ages and timers within a page. */
  monotonic(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** In [0, 1): the jitter of retry delays. */
  random(): number;
  uuid(): string;
  /** The page's URL, sent as `context.url`. */
  href(): string | undefined;
  window: Listenable | undefined;
  document: (Listenable & { readonly visibilityState: string }) | undefined;
}

/** Settings of {@link createClient} and `init`. */
export interface Options {
  /** The Hooklane server, e.g. `https://hooks.example.com`. */
  url: string;
  /** A publishable key (`hlp_...`) of the account. */
  key: string;
  /** The account id: the key belongs to one account, and the URL names it. */
  account: string;
  /** Send as soon as this many events wait (default 10); also the most events in one request. */
  batchSize?: number;
  /** Send waiting events at most this many ms after the first of them (default 5000). */
  flushInterval?: number;
  /** The most events kept unsent; beyond it the oldest are dropped (default 500). */
  maxQueue?: number;
  /** Cap of the exponential retry delay in ms (default 60000); `Retry-After` may ask for more. */
  maxRetryDelay?: number;
  /** Called with the events the server refused for good (a 4xx other than 408 and 429). */
  onDrop?: (events: unknown[], status: number) => void;
  /** Replaces parts of the browser's environment (tests, unusual hosts). */
  env?: Partial<Env>;
}

/** An event as sent, before the server adds `account_id`, `timestamp` and `ingested_at`. */
export interface OutgoingEvent {
  id: string;
  name: string;
  user_id: string;
  group_id: string | null;
  attributes: Record<string, unknown>;
  context: Record<string, unknown>;
}

/** A queued event: created at `t` (wall clock) and `m` (monotonic clock of page `p`). */
interface Queued {
  e: OutgoingEvent;
  t: number;
  m: number;
  p: string;
}

/** What `localStorage` holds per account; shared by the tabs of one origin. */
interface State {
  /** Unsent events, oldest first. */
  q: Queued[];
  /** Failed attempts in a row. */
  a: number;
  /** Wall-clock time before which nobody sends (backoff or `Retry-After`). */
  r: number;
  /** The wait that set `r`: a clock set back must not stretch it. */
  d: number;
  /** The last attempt got no answer: coming back online ends the wait. */
  o?: boolean;
}

export interface Client {
  identify(userId: string, traits?: Record<string, unknown>): void;
  group(groupId: string | null): void;
  track(name: string, attributes?: Record<string, unknown>): void;
  /** Asks the server to run the trigger `name`; resolves to the HTTP status (0: no answer). */
  trigger(name: string, data?: Record<string, unknown>): Promise<number>;
  /** Sends every waiting event now; resolves when done or waiting to retry. */
  flush(): Promise<void>;
  /** Forgets the user (logout): a new anonymous id, no group, no traits. */
  reset(): void;
  /** The id that events carry as `user_id`. */
  userId(): string;
}

/** Browsers refuse a keepalive request whose body (with the others in flight) passes 64 KiB. */
export const KEEPALIVE_LIMIT = 65536;
/** A tab that stops renewing its send lock loses it after this long. */
export const LOCK_TTL = 15000;
const MAX_RETRY_AFTER = 3600000;
const MAX_TRIGGER_ATTEMPTS = 5;

/** The browser's {@link Env}; only what exists is used. */
export function browserEnv(): Env {
  const g = globalThis as typeof globalThis & { window?: Listenable };
  let storage: StorageLike | undefined;
  try {
    // Reading localStorage itself throws where cookies are blocked.
    storage = g.localStorage;
  } catch {}
  return {
    fetch: (url, options) => g.fetch(url, options),
    storage,
    now: Date.now,
    monotonic: () => (g.performance ? g.performance.now() : Date.now()),
    setTimeout: (callback, ms) => g.setTimeout(callback, ms),
    clearTimeout: (handle) => g.clearTimeout(handle as number),
    random: Math.random,
    uuid: () => (g.crypto.randomUUID ? g.crypto.randomUUID() : uuidFromRandomBytes(g.crypto)),
    href: () => g.location?.href,
    window: g.window,
    document: g.document,
  };
}

/** `crypto.randomUUID` exists only on https and localhost pages. */
function uuidFromRandomBytes(crypto: Crypto): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 15) | 64;
  b[8] = (b[8]! & 63) | 128;
  const h = [...b].map((x) => (x + 256).toString(16).slice(1)).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const bytes = (text: string): number => new TextEncoder().encode(text).length;
const copy = <T>(value: T): T => (value === undefined ? value : JSON.parse(JSON.stringify(value)));

/**
 * The outcome of an answer: sent, refused for good (drop, never retry), or worth retrying
 * (no answer, 408, 429, 5xx and anything else).
 */
export function outcome(status: number): 'sent' | 'drop' | 'retry' {
  if (status >= 200 && status < 300) return 'sent';
  return status >= 400 && status < 500 && status !== 408 && status !== 429 ? 'drop' : 'retry';
}

/** `Retry-After` in ms (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfter(header: string | null | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isNaN(seconds) ? Date.parse(header) - now : seconds * 1000;
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(ms, 0), MAX_RETRY_AFTER);
}

/**
 * Creates a client. `init` makes the page's one client; call this for more (another account)
 * or to inject the environment.
 *
 * @example
 * const hooklane = createClient({ url: 'https://hooks.example.com', account: 'acc_1', key: 'hlp_...' });
 * hooklane.track('banner_closed', { bannerId: 'b1' });
 */
export function createClient(options: Options): Client {
  const env: Env = { ...browserEnv(), ...options.env };
  const batchSize = options.batchSize ?? 10;
  const flushInterval = options.flushInterval ?? 5000;
  const maxQueue = options.maxQueue ?? 500;
  const maxRetryDelay = options.maxRetryDelay ?? 60000;
  // The key rides in the query string: an Authorization header would make every batch wait for a
  // CORS preflight, and a page being closed cannot wait.
  const base = `${options.url.replace(/\/+$/, '')}/v1/accounts/${encodeURIComponent(options.account)}/`;
  const auth = `?key=${encodeURIComponent(options.key)}`;
  const queueKey = `hooklane:${options.account}:queue`;
  const lockKey = `hooklane:${options.account}:lock`;
  const profileKey = 'hooklane:profile';
  // This page's id: ages of its own events come from its monotonic clock.
  const page = env.uuid();
  const inFlight = new Set<string>();
  let memory: State = { q: [], a: 0, r: 0, d: 0 };
  let timer: unknown;
  let timerAt = 0;
  let running: Promise<void> | undefined;

  const get = (key: string): string | null | undefined => {
    try {
      return env.storage?.getItem(key);
    } catch {
      return undefined;
    }
  };
  const set = (key: string, value: string): boolean => {
    try {
      env.storage?.setItem(key, value);
      return true;
    } catch {
      return false;
    }
  };

  // The user: `u` id, `t` traits, `g` group; kept for the next pages of the site.
  let profile: { u?: string; t?: Record<string, unknown>; g?: string | null } = {};
  try {
    profile = JSON.parse(get(profileKey) ?? '{}') ?? {};
  } catch {}
  const saveProfile = () => set(profileKey, JSON.stringify(profile));
  const userId = (): string => {
    if (!profile.u) {
      profile.u = `anon:${env.uuid()}`;
      saveProfile();
    }
    return profile.u;
  };

  const load = (): State => {
    const raw = get(queueKey);
    if (raw === undefined || !env.storage) return memory;
    try {
      const state = raw ? (JSON.parse(raw) as State) : undefined;
      if (state && Array.isArray(state.q)) return state;
    } catch {}
    return { q: [], a: 0, r: 0, d: 0 };
  };
  const save = (state: State): void => {
    if (state.q.length > maxQueue) state.q.splice(0, state.q.length - maxQueue);
    memory = state;
    // Storage full: keep the newer half rather than nothing.
    if (!set(queueKey, JSON.stringify(state))) {
      state.q.splice(0, state.q.length >> 1);
      set(queueKey, JSON.stringify(state));
    }
  };

  // One tab sends at a time, so that tabs sharing the queue do not send the same events. The
  // lock is best effort (two tabs may both take it in the same instant): a second send of an
  // event is harmless, since the server keeps one event per id.
  const lock = (): boolean => {
    const [owner, until] = (get(lockKey) ?? '').split(' ');
    if (owner && owner !== page && Number(until) > env.now()) return false;
    set(lockKey, `${page} ${env.now() + LOCK_TTL}`);
    return true;
  };
  const unlock = (): void => {
    if (get(lockKey)?.startsWith(page)) {
      try {
        env.storage?.removeItem(lockKey);
      } catch {}
    }
  };

  /** Runs `flush` in `ms`, unless it is already due sooner. */
  const schedule = (ms: number): void => {
    const at = env.monotonic() + ms;
    if (timer !== undefined) {
      if (timerAt <= at) return;
      env.clearTimeout(timer);
    }
    timerAt = at;
    timer = env.setTimeout(() => {
      timer = undefined;
      void flush();
    }, ms);
  };

  const backoff = (attempt: number, header: string | null | undefined): number => {
    const asked = retryAfter(header, env.now());
    if (asked !== undefined) return Math.max(asked, 1000);
    return Math.round(Math.min(maxRetryDelay, 1000 * 2 ** attempt) * (0.5 + env.random() / 2));
  };

  const post = async (path: string, body: string): Promise<ResponseLike | undefined> => {
    try {
      return await env.fetch(base + path + auth, {
        method: 'POST',
        body,
        keepalive: bytes(body) <= KEEPALIVE_LIMIT,
        headers: { 'content-type': 'text/plain' },
        credentials: 'omit',
      });
    } catch {
      return undefined;
    }
  };

  /** Sends one request; true when the queue may go on to the next. */
  const send = async (batch: Queued[], body: string): Promise<boolean> => {
    const ids = batch.map((queued) => queued.e.id);
    for (const id of ids) inFlight.add(id);
    const response = await post('events', body);
    for (const id of ids) inFlight.delete(id);
    const status = response?.status ?? 0;
    const result = outcome(status);
    const state = load();
    if (result === 'retry') {
      const delay = backoff(state.a++, response?.headers.get('retry-after'));
      state.r = env.now() + delay;
      state.d = delay;
      state.o = !response;
      save(state);
      schedule(delay);
      return false;
    }
    state.q = state.q.filter((queued) => !ids.includes(queued.e.id));
    state.a = state.r = 0;
    save(state);
    if (result === 'drop')
      options.onDrop?.(
        batch.map((queued) => queued.e),
        status,
      );
    return true;
  };

  /**
   * Sends what waits, a batch at a time. A page being hidden or closed cannot wait for answers:
   * it starts as many batches as fit in one keepalive budget, and what does not fit stays
   * stored for the next page.
   */
  const drain = async (closing: boolean): Promise<void> => {
    for (;;) {
      const state = load();
      // A wait longer than the one asked for means the clock was set back: wait it from now.
      if (state.r - env.now() > state.d) {
        state.r = env.now() + state.d;
        save(state);
      }
      const wait = state.r - env.now();
      if (wait > 0) return schedule(wait);
      const ready = state.q.filter((queued) => !inFlight.has(queued.e.id));
      if (!ready.length) break;
      if (!lock()) return schedule(flushInterval);
      // Batches of at most batchSize events whose body fits a keepalive request; an event
      // bigger than that alone goes alone, without keepalive. Only the first is needed unless
      // the page is closing.
      const batches: [Queued[], string][] = [];
      let batch: Queued[] = [];
      let parts: string[] = [];
      let size = 0;
      const close = () => batches.push([batch, `{"events":[${parts.join(',')}]}`]);
      for (const queued of ready) {
        if (batches.length && !closing) break;
        // The age, not a timestamp: the server dates the event by its own clock.
        const age = queued.p === page ? env.monotonic() - queued.m : env.now() - queued.t;
        const part = JSON.stringify({ ...queued.e, age_ms: Math.max(0, Math.round(age)) });
        const length = bytes(part) + 1;
        if (batch.length && (batch.length >= batchSize || size + length > KEEPALIVE_LIMIT - 14)) {
          close();
          batch = [];
          parts = [];
          size = 0;
        }
        batch.push(queued);
        parts.push(part);
        size += length;
      }
      if (closing || !batches.length) close();
      if (closing) {
        let budget = KEEPALIVE_LIMIT;
        for (const [events, body] of batches) {
          budget -= bytes(body);
          if (budget < 0) break;
          void send(events, body);
        }
        return;
      }
      const [events, body] = batches[0]!;
      if (!(await send(events, body))) break;
    }
    unlock();
  };

  const flush = async (): Promise<void> => {
    while (running) await running;
    running = drain(false).finally(() => {
      running = undefined;
    });
    return running;
  };

  const leaving = () => void drain(true);
  env.window?.addEventListener('pagehide', leaving);
  env.window?.addEventListener('online', () => {
    const state = load();
    if (state.o) {
      state.r = 0;
      save(state);
      void flush();
    }
  });
  env.document?.addEventListener('visibilitychange', () => {
    if (env.document?.visibilityState === 'hidden') leaving();
  });
  // Events stored by an earlier page go out without waiting for a new one.
  if (load().q.length) schedule(0);

  return {
    identify(id, traits) {
      profile = { ...profile, u: String(id), t: copy(traits) };
      saveProfile();
    },
    group(id) {
      profile.g = id === null ? null : String(id);
      saveProfile();
    },
    track(name, attributes = {}) {
      const context: Record<string, unknown> = { url: env.href() };
      if (profile.t) context.traits = profile.t;
      // A copy: what is queued is the attributes as they were now, and a value JSON cannot
      // hold throws here, to the caller, instead of blocking the queue.
      const copied = copy(attributes);
      const state = load();
      state.q.push({
        e: {
          id: env.uuid(),
          name: String(name),
          user_id: userId(),
          group_id: profile.g ?? null,
          attributes: copied,
          context,
        },
        t: env.now(),
        m: env.monotonic(),
        p: page,
      });
      save(state);
      schedule(state.q.length - inFlight.size >= batchSize ? 0 : flushInterval);
    },
    async trigger(name, data = {}) {
      // The id lets the server recognise a retried trigger.
      const body = JSON.stringify({ id: env.uuid(), data, user_id: userId() });
      for (let attempt = 0; ; attempt++) {
        const response = await post(`triggers/${encodeURIComponent(name)}`, body);
        const status = response?.status ?? 0;
        if (outcome(status) !== 'retry' || attempt + 1 >= MAX_TRIGGER_ATTEMPTS) return status;
        const delay = backoff(attempt, response?.headers.get('retry-after'));
        await new Promise((resolve) => env.setTimeout(() => resolve(undefined), delay));
      }
    },
    flush,
    reset() {
      profile = {};
      saveProfile();
    },
    userId,
  };
}
