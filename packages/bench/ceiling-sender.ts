import { Agent } from 'undici';
import { benchEvent, nowMs } from './events.ts';
import { secretKey, signHeaders } from './sign.ts';

/**
 * The ceiling: no ingest, no storage, no queue. A plain undici sender in its own process
 * that signs each bench event (the same two HMAC-SHA256 header sets as Hooklane) and
 * POSTs it straight to the receiver over keep-alive connections, as many at once as
 * `concurrency` allows per target. Driven over IPC by systems/ceiling.ts.
 */

export interface CeilingTarget {
  readonly url: string;
  readonly secret: string;
}

export type CeilingCommand =
  | {
      cmd: 'burst';
      seq: number;
      events: number;
      targets: CeilingTarget[];
      concurrencyPerTarget: number;
      timeoutMs: number;
      deadline: number;
    }
  | { cmd: 'paced'; seq: number; rate: number; durationMs: number; target: CeilingTarget; timeoutMs: number }
  | { cmd: 'abort'; seq: number };

let aborted = false;
const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000, pipelining: 1 });

function prepare(target: CeilingTarget) {
  const url = new URL(target.url);
  return { origin: url.origin, path: `${url.pathname}${url.search}`, key: secretKey(target.secret) };
}

async function post(target: ReturnType<typeof prepare>, id: string, body: string, timeoutMs: number) {
  try {
    const response = await agent.request({
      origin: target.origin,
      path: target.path,
      method: 'POST',
      headers: signHeaders(target.key, id, body),
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body.dump();
    return response.statusCode >= 200 && response.statusCode < 300;
  } catch {
    return false;
  }
}

async function burst(command: Extract<CeilingCommand, { cmd: 'burst' }>) {
  aborted = false;
  // With several targets each event goes to all of them, so its body is built once and kept.
  const bodies: string[] = [];
  const bodyOf = (index: number) => {
    if (command.targets.length === 1) return JSON.stringify(benchEvent(nowMs()));
    bodies[index] ??= JSON.stringify(benchEvent(nowMs()));
    return bodies[index];
  };
  let sent = 0;
  let failed = 0;
  const startedAt = nowMs();
  await Promise.all(
    command.targets.map(async (raw) => {
      const target = prepare(raw);
      let next = 0;
      const loop = async () => {
        while (!aborted && next < command.events && nowMs() < command.deadline) {
          const index = next++;
          if (await post(target, `ceil_${index}`, bodyOf(index), command.timeoutMs)) sent++;
          else failed++;
        }
      };
      await Promise.all(Array.from({ length: command.concurrencyPerTarget }, loop));
    }),
  );
  return { startedAt, endedAt: nowMs(), sent, failed };
}

async function paced(command: Extract<CeilingCommand, { cmd: 'paced' }>) {
  const target = prepare(command.target);
  const total = Math.round((command.rate * command.durationMs) / 1000);
  const pending = new Set<Promise<unknown>>();
  let offered = 0;
  let failed = 0;
  const startedAt = nowMs();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((nowMs() - startedAt) * command.rate) / 1000));
      while (offered < due) {
        const sentAt = nowMs();
        const request = post(
          target,
          `ceil_p${offered}`,
          JSON.stringify(benchEvent(sentAt)),
          command.timeoutMs,
        ).then((ok) => {
          if (!ok) failed++;
          pending.delete(request);
        });
        pending.add(request);
        offered++;
      }
      if (offered >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const endedAt = nowMs();
  await Promise.all(pending);
  return { startedAt, endedAt, offered, failed };
}

if (import.meta.main) {
  process.on('message', (command: CeilingCommand) => {
    if (command.cmd === 'abort') {
      aborted = true;
      process.send?.({ seq: command.seq, ok: true });
      return;
    }
    const run = command.cmd === 'burst' ? burst(command) : paced(command);
    run.then(
      (result) => process.send?.({ seq: command.seq, result }),
      (error: Error) => process.send?.({ seq: command.seq, error: error.message }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.stdout.write('ceiling sender ready\n');
}
