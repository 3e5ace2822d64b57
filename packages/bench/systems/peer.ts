import { fileURLToPath } from 'node:url';
import { type Child, forkNode, waitForLine } from '../children.ts';
import { hooklaneInFlight } from './hooklane.ts';
import type { RunningSystem, StartOptions } from './types.ts';

/**
 * The peers' requests in flight for `webhooks` webhooks: what Hooklane may keep in flight to
 * them (its per-webhook cap for each, within its per-process cap), so that no system wins or
 * loses by pushing the receiver harder.
 */
export function peerConcurrency(webhooks: number): number {
  const { perWebhook, perProcess } = hooklaneInFlight();
  return Math.min(perWebhook * Math.max(1, webhooks), perProcess);
}

/** The report's in-flight note for a peer. */
export function peerInFlightNote(): string {
  const { perWebhook } = hooklaneInFlight();
  return `${perWebhook}: lowered to Hooklane's per-webhook cap (${perWebhook} per webhook in the fan-out)`;
}

/**
 * How a peer pipeline runs: `node peers/<name>.ts`, one process doing ingest and
 * delivery (PEER_ROLE=all); for the backlog, an ingest-only process first, which then
 * gives way to the full one (as Hooklane's single-process systems do).
 */
export async function startPeer(
  script: 'bullmq' | 'pgboss',
  options: StartOptions,
  extraEnv: Record<string, string>,
  cleanup: () => Promise<void>,
  storePids: () => number[],
): Promise<RunningSystem> {
  const path = fileURLToPath(new URL(`../peers/${script}.ts`, import.meta.url));
  const env = (role: string, port: string): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PORT: port,
    PEER_ROLE: role,
    PEER_WEBHOOKS: JSON.stringify(options.targets),
    PEER_DELIVERY_TIMEOUT_MS: String(options.deliveryTimeoutMs),
    PEER_CONCURRENCY: String(peerConcurrency(options.targets.length)),
    ...extraEnv,
  });
  const start = async (role: string, port: string): Promise<{ child: Child; url: string }> => {
    const child = forkNode(path, env(role, port), `${script}-peer`);
    const match = await waitForLine(child, /peer listening on (\S+)/, `${script}-peer`);
    return { child, url: match[1]! };
  };
  let peer = await start(options.deliver ? 'all' : 'ingest', '0');
  return {
    ingest: { url: `${peer.url}/events`, headers: {} },
    direct: null,
    pids: () => (peer.child.alive() ? [peer.child.pid] : []),
    storePids,
    async startDelivery() {
      await peer.child.stop();
      peer = await start('all', new URL(peer.url).port);
    },
    async stop() {
      await peer.child.kill();
      await cleanup();
    },
  };
}
