import {
  createClient,
  type Env,
  type Options,
  type RequestOptions,
  type ResponseLike,
} from '../src/index.ts';

/** One request the SDK made. */
export interface Sent {
  url: string;
  options: RequestOptions;
  body: any;
  /** World time (ms since the test began) when it was made. */
  at: number;
}

/** What the fake server answers next: a status, a status with Retry-After, no answer, or later. */
export type Answer = number | { status: number; retryAfter?: string } | 'network' | Promise<ResponseLike>;

interface Timer {
  at: number;
  page: Page;
  callback: () => void;
  id: number;
}

/** localStorage in memory, shared by the pages of one world (one origin). */
export class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/**
 * A fake browser for the SDK's rules: one clock, one origin's storage, a server that answers
 * from a script (202 when the script is empty), and pages whose timers run as time advances.
 */
export class World {
  /** ms since the test began; every clock derives from it. */
  t = 0;
  /** Added to the wall clock: a user who sets the computer's clock wrong. */
  skew = 0;
  readonly wallStart = 1_700_000_000_000;
  readonly storage = new MemoryStorage();
  readonly requests: Sent[] = [];
  readonly answers: Answer[] = [];
  timers: Timer[] = [];
  private nextId = 0;
  uuids = 0;
  random = 0.5;

  now(): number {
    return this.wallStart + this.t + this.skew;
  }

  schedule(page: Page, callback: () => void, ms: number): number {
    const id = ++this.nextId;
    this.timers.push({ at: this.t + Math.max(0, ms), page, callback, id });
    return id;
  }

  async fetch(url: string, options: RequestOptions): Promise<ResponseLike> {
    this.requests.push({ url, options, body: JSON.parse(options.body), at: this.t });
    const answer = this.answers.shift() ?? 202;
    if (answer === 'network') throw new TypeError('Failed to fetch');
    if (answer instanceof Promise) return answer;
    const { status, retryAfter } =
      typeof answer === 'number' ? { status: answer, retryAfter: undefined } : answer;
    return response(status, retryAfter);
  }

  /** Moves time forward by `ms`, running the timers that fall due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers
        .filter((timer) => timer.at <= end)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.t = Math.max(this.t, due.at);
      due.callback();
    }
    this.t = end;
    await settle();
  }

  /** A new page of the origin (a tab, or the same tab after a reload). */
  open(options: Partial<Options> = {}): Page {
    return new Page(this, options);
  }

  /** The events sent so far, in order. */
  sentEvents(): any[] {
    return this.requests.filter((request) => request.url.includes('/events')).flatMap((r) => r.body.events);
  }

  /** The queue as stored. */
  stored(account = 'acc_1'): any[] {
    return JSON.parse(this.storage.getItem(`hooklane:${account}:queue`) ?? '{"q":[]}').q;
  }
}

export function response(status: number, retryAfter?: string): ResponseLike {
  return {
    status,
    headers: { get: (name) => (name.toLowerCase() === 'retry-after' ? (retryAfter ?? null) : null) },
  };
}

/** Lets promise chains (fetch answers, awaits in the SDK) run to their end. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

export class Page {
  readonly window = new EventTarget();
  readonly document = Object.assign(new EventTarget(), { visibilityState: 'visible' as string });
  readonly started: number;
  readonly client;
  readonly world: World;
  closed = false;
  href = 'https://app.example.com/dashboard';

  constructor(world: World, options: Partial<Options>) {
    this.world = world;
    this.started = world.t;
    const env: Env = {
      fetch: (url, init) => world.fetch(url, init),
      storage: world.storage,
      now: () => world.now(),
      // A page's monotonic clock starts near zero when it loads, whatever the wall clock says.
      monotonic: () => world.t - this.started + 50,
      setTimeout: (callback, ms) => world.schedule(this, callback, ms),
      clearTimeout: (handle) => {
        world.timers = world.timers.filter((timer) => timer.id !== handle);
      },
      random: () => world.random,
      uuid: () => `00000000-0000-4000-8000-${String(++world.uuids).padStart(12, '0')}`,
      href: () => this.href,
      window: this.window,
      document: this.document,
    };
    this.client = createClient({
      url: 'https://hooks.example.com',
      account: 'acc_1',
      key: 'hlp_test',
      ...options,
      env: { ...env, ...options.env },
    });
  }

  /** The page goes away without a word: its timers stop, its storage stays. */
  close(): void {
    this.closed = true;
    this.world.timers = this.world.timers.filter((timer) => timer.page !== this);
  }

  pagehide(): void {
    this.window.dispatchEvent(new Event('pagehide'));
  }

  setVisibility(state: 'visible' | 'hidden'): void {
    this.document.visibilityState = state;
    this.document.dispatchEvent(new Event('visibilitychange'));
  }
}
