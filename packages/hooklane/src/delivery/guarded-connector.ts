/**
 * Connect-time SSRF guard for undici: the address actually dialled is checked, not only the URL.
 *
 * Checking the URL at creation time is not enough: a hostname can resolve to a public address
 * when the webhook is created and to 127.0.0.1 or 169.254.169.254 later (DNS rebinding). So the
 * connector resolves the name itself, vets *every* answer, and then connects to the vetted IP —
 * the address that was checked is the address that is dialled, with no second lookup in between.
 */
import dns from 'node:dns';
import net from 'node:net';
import { buildConnector, errors } from 'undici';
import { describeNonGlobalAddress, PRIVATE_NETWORKS_HINT } from '../core/url-policy.ts';

/** Raised (through the connector callback) when a target resolves to a non-global address. */
export class BlockedAddressError extends Error {
  /** Stable code for callers that classify delivery failures. */
  readonly code = 'ERR_HOOKLANE_BLOCKED_ADDRESS';
  /** The hostname the request was for (an IP literal when the URL used one). */
  readonly hostname: string;
  /** The refused address. */
  readonly address: string;

  constructor(hostname: string, address: string, description: string) {
    const subject =
      hostname === address ? `the target is ${description}` : `${hostname} resolves to ${description}`;
    super(`refused to connect: ${subject} (${address}); ${PRIVATE_NETWORKS_HINT}`);
    this.name = 'BlockedAddressError';
    this.hostname = hostname;
    this.address = address;
  }
}

/** Options for {@link createGuardedConnector}. */
export interface GuardedConnectorOptions {
  /** `HOOKLANE_ALLOW_PRIVATE_NETWORKS`: when true, resolved addresses are not vetted. */
  allowPrivateNetworks: boolean;
  /**
   * Budget for the DNS lookup and, separately, for the TCP/TLS connect (undici's connect
   * timeout). Defaults to 10 000 ms, undici's own default.
   */
  connectTimeoutMs?: number;
  /** Resolver to use instead of `dns.lookup`; tests inject one to simulate rebinding answers. */
  lookup?: typeof import('node:dns').lookup;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * An undici connector that resolves the hostname itself (`dns.lookup`, `all: true`), refuses the
 * connection with a {@link BlockedAddressError} if ANY resolved address is not global unicast
 * (unless `allowPrivateNetworks`), then connects to the first address with TLS
 * `servername` = the original hostname. IP-literal hostnames are checked directly, without a
 * lookup.
 *
 * Built on `undici.buildConnector`, so TLS, session caching, TCP keep-alive and the connect
 * timeout are undici's. All errors reach the callback; the connector never throws.
 *
 * @example new Agent({ connect: createGuardedConnector({ allowPrivateNetworks: false }) })
 */
export function createGuardedConnector(opts: GuardedConnectorOptions): buildConnector.connector {
  const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const lookup = opts.lookup ?? dns.lookup;
  const connectBase = buildConnector({ timeout: timeoutMs });

  return function guardedConnect(options, callback) {
    // undici already strips IPv6 brackets, but a custom dispatcher might not.
    const original = options.hostname.replace(/^\[(.*)\]$/, '$1');

    const proceed = (address: string): void => {
      const isTls = options.protocol === 'https:';
      try {
        connectBase(
          {
            ...options,
            hostname: address,
            // SNI and certificate verification must use the name the user configured, not the
            // IP we dial. SNI carries no trailing dot (RFC 6066); Node's identity check ignores
            // it too. Plain http has no use for a servername.
            servername:
              isTls && net.isIP(original) === 0
                ? options.servername || original.replace(/\.+$/, '')
                : options.servername,
          },
          callback,
        );
      } catch (err) {
        callback(asError(err), null);
      }
    };

    if (net.isIP(original) !== 0) {
      // An IP literal: nothing to resolve, and nothing to rebind.
      const refusal = opts.allowPrivateNetworks ? undefined : describeNonGlobalAddress(original);
      if (refusal !== undefined) {
        callback(new BlockedAddressError(original, original, refusal), null);
        return;
      }
      proceed(original);
      return;
    }

    resolveAll(lookup, original, timeoutMs, (err, addresses) => {
      if (err !== null) {
        callback(err, null);
        return;
      }
      if (!opts.allowPrivateNetworks) {
        // Vet every answer, not just the one we would dial: a mixed public+private answer set is
        // the shape of a rebinding attack, and a later reconnect could pick the private one.
        for (const address of addresses) {
          const refusal = describeNonGlobalAddress(address);
          if (refusal !== undefined) {
            callback(new BlockedAddressError(original, address, refusal), null);
            return;
          }
        }
      }
      // resolveAll guarantees at least one address.
      proceed(addresses[0]!);
    });
  };
}

type ResolveCallback = (err: Error | null, addresses: string[]) => void;

/**
 * `lookup(hostname, { all: true })` with a timeout, since getaddrinfo cannot be cancelled and
 * undici's connect timeout only starts once we hand it an address. Calls `done` exactly once.
 */
function resolveAll(
  lookup: typeof dns.lookup,
  hostname: string,
  timeoutMs: number,
  done: ResolveCallback,
): void {
  let settled = false;
  const finish: ResolveCallback = (err, addresses) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    done(err, addresses);
  };
  const timer = setTimeout(() => {
    finish(new errors.ConnectTimeoutError(`DNS lookup of ${hostname} timed out after ${timeoutMs} ms`), []);
  }, timeoutMs);
  // The timer must not keep a shutting-down process alive.
  timer.unref();

  try {
    lookup(hostname, { all: true }, (err, results) => {
      if (err) {
        finish(err, []);
        return;
      }
      // A misbehaving resolver (or a test double) may hand back a single result; accept both.
      const list: dns.LookupAddress[] = Array.isArray(results) ? results : [results];
      const addresses = list.map((r) => r.address).filter((a) => typeof a === 'string' && a !== '');
      if (addresses.length === 0) {
        const notFound = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
          code: 'ENOTFOUND',
          hostname,
        });
        finish(notFound, []);
        return;
      }
      finish(null, addresses);
    });
  } catch (err) {
    finish(asError(err), []);
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
