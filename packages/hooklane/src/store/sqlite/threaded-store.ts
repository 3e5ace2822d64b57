import { once } from 'node:events';
import { dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Store, StoreUnavailableError } from '../store.ts';
import { DataDirLockedError } from './connection.ts';
import type { SqliteStoreOptions } from './index.ts';
import {
  type ResealRequest,
  rebuiltError,
  resealKey,
  type ThreadCall,
  type ThreadMethod,
  type ThreadReply,
} from './thread-protocol.ts';

/** The methods that cross to the thread as they are called (the reseals and close take two steps). */
const FORWARDED = [
  'migrate',
  'ping',
  'createAccount',
  'getAccount',
  'insertApiKey',
  'insertRootKeyIfNone',
  'replaceRootKey',
  'findApiKeyByHash',
  'listApiKeys',
  'revokeApiKey',
  'updateKeyPolicy',
  'insertWebhook',
  'getWebhook',
  'listWebhooks',
  'updateWebhook',
  'deleteWebhook',
  'listSecrets',
  'replaceSecret',
  'ingest',
  'insertTestDelivery',
  'claimDue',
  'recordAttempts',
  'releaseClaims',
  'nextDueAt',
  'listDeliveries',
  'getDelivery',
  'listAttempts',
  'getDeliveryWithAttempts',
  'eventsOfDelivery',
  'retryDelivery',
  'recoverDeliveries',
  'countRecoverable',
  'accountActivity',
  'insertPortalSession',
  'findPortalSessionByHash',
  'deletePortalSessions',
  'queueStats',
  'latestEvents',
  'getEvents',
  'pruneBefore',
] as const satisfies readonly ThreadMethod[];

// Every method of the port is forwarded or written below: a method added to Store and left out
// here fails the type check.
type Unforwarded = Exclude<
  ThreadMethod,
  (typeof FORWARDED)[number] | 'resealSecrets' | 'resealWebhookHeaders' | 'close'
>;
const everyMethod: [Unforwarded] extends [never] ? true : never = true;
void everyMethod;

type Forwarded = Pick<Store, (typeof FORWARDED)[number]>;

/** The thread's module, beside this one: `.ts` in a checkout, `.js` when built. */
const THREAD_MODULE = new URL(`./store-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * The embedded store on a thread of its own: the SQLite connection, its commits and their
 * fsyncs, and the in-memory claims run on a worker thread, so that the event loop keeps serving
 * HTTP and sending deliveries meanwhile. Every Store method posts its call; the calls made in one
 * turn of the event loop cross in one message (an ingest request, a result batch with its claim,
 * each is one call), and their answers come back the same way. The thread holds the file's
 * exclusive lock, so it is still one owner process.
 *
 * @example
 * const store = await openThreadedSqliteStore({ path: 'data/hooklane.db', deliveryAttempts: 8 });
 */
export async function openThreadedSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const worker = new Worker(THREAD_MODULE, { workerData: options });
  const [opened] = (await once(worker, 'message')) as [
    { opened: boolean; error?: { name: string; message: string } },
  ];
  if (!opened.opened) {
    await worker.terminate();
    const error = opened.error ?? { name: 'Error', message: 'the store thread did not open' };
    if (error.name === 'DataDirLockedError') throw new DataDirLockedError(dirname(options.path));
    throw rebuiltError(error);
  }
  return new StoreThread(worker).store();
}

interface Waiting {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** The event loop's side of the thread: calls out, answers in. */
class StoreThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  #outbox: ThreadCall[] = [];
  #nextId = 1;
  /** Set when the thread ended: every call after fails with it. */
  #ended: Error | null = null;

  constructor(worker: Worker) {
    this.#worker = worker;
    worker.unref();
    worker.on('message', (replies: readonly ThreadReply[]) => this.#answered(replies));
    worker.on('error', (error) => this.#end(new StoreUnavailableError(error)));
    worker.on('exit', (code) => this.#end(new StoreUnavailableError(`the store thread exited (${code})`)));
  }

  store(): Store {
    const forwarded = Object.fromEntries(
      FORWARDED.map((method) => [method, (...args: unknown[]) => this.call(method, args)]),
    ) as unknown as Forwarded;
    return {
      backend: 'sqlite',
      notifications: null,
      ...forwarded,
      resealSecrets: (reseal) => this.#reseal('resealSecrets', reseal as (value: unknown) => unknown),
      resealWebhookHeaders: (reseal) =>
        this.#reseal('resealWebhookHeaders', reseal as (value: unknown) => unknown),
      close: async () => {
        if (this.#ended) return;
        await this.call('close', []);
        await this.#worker.terminate();
      },
    };
  }

  call(method: ThreadMethod, args: readonly unknown[]): Promise<never> {
    if (this.#ended) return Promise.reject(this.#ended);
    const id = this.#nextId++;
    const answered = new Promise<never>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
    // A call waiting for its answer keeps the process alive, as a database socket would.
    if (this.#waiting.size === 1) this.#worker.ref();
    this.#outbox.push({ id, method, args });
    if (this.#outbox.length === 1)
      queueMicrotask(() => {
        const calls = this.#outbox;
        this.#outbox = [];
        this.#worker.postMessage(calls);
      });
    return answered;
  }

  /** Collects the stored values, runs `reseal` on each here, and sends back those it changed. */
  async #reseal(
    method: 'resealSecrets' | 'resealWebhookHeaders',
    reseal: (value: unknown) => unknown,
  ): Promise<number> {
    const collect: ResealRequest = { collect: true };
    const stored = (await this.call(method, [collect])) as unknown[];
    const changes: [string, unknown][] = [];
    for (const value of stored) {
      const resealed = reseal(value);
      if (resealed !== null) changes.push([resealKey(value), resealed]);
    }
    if (changes.length === 0) return 0;
    const apply: ResealRequest = { changes };
    return this.call(method, [apply]);
  }

  #answered(replies: readonly ThreadReply[]): void {
    for (const reply of replies) {
      const waiting = this.#waiting.get(reply.id);
      if (!waiting) continue;
      this.#waiting.delete(reply.id);
      if (reply.error) waiting.reject(rebuiltError(reply.error));
      else waiting.resolve(reply.value);
    }
    if (this.#waiting.size === 0) this.#worker.unref();
  }

  #end(error: Error): void {
    this.#ended ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }
}
