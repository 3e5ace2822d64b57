import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type Child, onCleanup, spawnProgram, waitForLine } from './children.ts';

/** The Redis server binary the bench starts (`BENCH_REDIS_SERVER` to use another). */
const REDIS_SERVER = process.env.BENCH_REDIS_SERVER ?? 'redis-server';

/**
 * How a Redis the bench starts keeps its data. `always`: every write is in the append-only
 * file and fsynced before Redis replies, so a job BullMQ has acknowledged survives a crash, as
 * an event Hooklane has acknowledged does. `none`: memory only, the reference row.
 */
export type RedisPersistence = 'always' | 'none';

export const REDIS_ARGS: Readonly<Record<RedisPersistence, readonly string[]>> = {
  always: ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
  none: ['--appendonly', 'no', '--save', ''],
};

export interface RedisServer {
  readonly url: string;
  readonly pid: number;
  /** The server's own account of its persistence, read back with CONFIG GET. */
  readonly settings: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** A free TCP port on loopback, from the kernel (never Redis's usual 6379, which may be in use). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `redis-server --version`'s version, or `unknown`. */
export function redisVersion(): string {
  try {
    return /v=(\S+)/.exec(execFileSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Starts a Redis of the bench's own on a free loopback port with its data in a temp dir,
 * checks that it runs with the persistence asked for, and stops it (SIGKILL, the temp dir
 * removed) when the bench exits for any reason, or at `stop()`.
 */
export async function startRedis(persistence: RedisPersistence): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hooklane-bench-redis-'));
  const removeDir = async () => rmSync(dir, { recursive: true, force: true });
  const forgetDir = onCleanup(removeDir);
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--logfile',
    '',
    ...REDIS_ARGS[persistence],
  ];
  let child: Child;
  try {
    child = spawnProgram(REDIS_SERVER, args, `redis-${persistence}`);
    await waitForLine(child, /Ready to accept connections/, `redis-server (${persistence})`, 15_000);
  } catch (error) {
    forgetDir();
    await removeDir();
    throw error;
  }
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    await child.stop(3_000);
    forgetDir();
    await removeDir();
  };
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const settings: Record<string, string> = {};
  try {
    await client.connect();
    for (const name of ['appendonly', 'appendfsync', 'save']) {
      const [, value] = (await client.config('GET', name)) as [string, string];
      settings[name] = value;
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.disconnect();
  }
  const expected =
    persistence === 'always' ? { appendonly: 'yes', appendfsync: 'always' } : { appendonly: 'no' };
  for (const [name, value] of Object.entries(expected)) {
    if (settings[name] !== value) {
      await stop();
      throw new Error(`redis-server on port ${port} runs with ${name}=${settings[name]}, not ${value}`);
    }
  }
  return { url, pid: child.pid, settings, stop };
}
