import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore, type SqliteStoreOptions } from './index.ts';
import {
  describedError,
  type ResealRequest,
  resealIn,
  type ThreadCall,
  type ThreadReply,
} from './thread-protocol.ts';

/**
 * The embedded store's own thread (see threaded-store.ts): it opens the SQLite file, holds the
 * in-memory claims, and answers the event loop's calls. Calls arrive in batches (those made in
 * one turn of the event loop) and their replies leave the same way: the replies settled in one
 * turn of this thread cross in one message.
 */

if (!parentPort) throw new Error('store-thread.ts runs as a worker thread');
const port = parentPort;

let store: SqliteStore;
try {
  store = SqliteStore.open(workerData as SqliteStoreOptions);
  port.postMessage({ opened: true });
} catch (error) {
  port.postMessage({ opened: false, error: describedError(error) });
  process.exit(0);
}

let replies: ThreadReply[] = [];
function reply(message: ThreadReply): void {
  replies.push(message);
  if (replies.length === 1)
    queueMicrotask(() => {
      const batch = replies;
      replies = [];
      port.postMessage(batch);
    });
}

async function answer(call: ThreadCall): Promise<unknown> {
  if (call.method === 'resealSecrets' || call.method === 'resealWebhookHeaders')
    return resealIn(store, call.method, call.args[0] as ResealRequest);
  const method = store[call.method] as (...args: unknown[]) => Promise<unknown>;
  return method(...call.args);
}

port.on('message', (calls: readonly ThreadCall[]) => {
  for (const call of calls) {
    answer(call).then(
      (value) => reply({ id: call.id, value }),
      (error: unknown) => reply({ id: call.id, error: describedError(error) }),
    );
    if (call.method === 'close') port.unref();
  }
});
