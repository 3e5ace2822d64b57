/**
 * Webhook target policy: only `http`/`https` targets, and — unless private
 * networks are explicitly allowed — no target whose address is not global unicast.
 *
 * This module is pure (no DNS, no sockets). It judges what can be judged from the URL alone: IP
 * literals and `localhost`. Hostnames that merely *resolve* to a private address are caught at
 * connect time by `delivery/guarded-connector.ts`, which reuses {@link describeNonGlobalAddress}
 * so both layers apply exactly the same address rules.
 */
import ipaddr from 'ipaddr.js';

/** Result of {@link checkWebhookUrl}: the parsed URL, or a short human sentence saying why not. */
export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

/** Longest target URL accepted (in UTF-16 code units of the raw string). */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Appended to every private-address refusal so the operator knows the escape hatch. */
export const PRIVATE_NETWORKS_HINT = 'set HOOKLANE_ALLOW_PRIVATE_NETWORKS=true to allow it';

/**
 * Checks a webhook target at creation/edit time.
 *
 * Refuses: strings over {@link MAX_WEBHOOK_URL_LENGTH} characters, anything WHATWG `URL` cannot
 * parse (including relative references), schemes other than `http:`/`https:`, embedded
 * credentials, and a missing host. Unless `allowPrivateNetworks` is true it also refuses
 * `localhost`, `*.localhost` and every IP literal that is not global unicast, in every spelling
 * (WHATWG `URL` canonicalises `127.1`, `2130706433`, `0x7f.1`, `0177.0.0.1`, percent-encoded and
 * full-width digits to dotted decimal before we look at it).
 *
 * @param raw - the target exactly as the API client sent it
 * @param opts.allowPrivateNetworks - `HOOKLANE_ALLOW_PRIVATE_NETWORKS`; skips the address rules only
 */
export function checkWebhookUrl(raw: string, opts: { allowPrivateNetworks: boolean }): UrlVerdict {
  if (typeof raw !== 'string' || raw.length === 0) return refuse('the URL is empty');
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    return refuse(`the URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }

  let url: URL;
  try {
    // No base URL on purpose: relative references ("/hook", "example.com/hook") must fail.
    url = new URL(raw);
  } catch {
    return refuse('the URL is not a valid absolute URL');
  }

  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return refuse(`the URL scheme must be http or https, not ${url.protocol.replace(/:$/, '')}`);
  }
  // Credentials in the URL would be sent as Basic auth by some clients and logged everywhere;
  // receivers should authenticate with the webhook signature (or custom headers) instead.
  if (url.username !== '' || url.password !== '') {
    return refuse('the URL must not contain a username or password');
  }
  if (url.hostname === '') return refuse('the URL has no host');

  if (opts.allowPrivateNetworks) return { ok: true, url };

  const host = url.hostname;
  // "localhost." and "a.localhost.." are the same names to a resolver as without the dots.
  const bareName = host.replace(/\.+$/, '');
  if (bareName === 'localhost' || bareName.endsWith('.localhost')) {
    // RFC 6761: localhost and its subdomains always resolve to loopback.
    return refuse(`the target host ${host} is a loopback name; ${PRIVATE_NETWORKS_HINT}`);
  }

  const literal = stripBrackets(host);
  if (isIpLiteral(literal)) {
    const description = describeNonGlobalAddress(literal);
    if (description !== undefined) {
      return refuse(`the target is ${description} (${literal}); ${PRIVATE_NETWORKS_HINT}`);
    }
  }
  return { ok: true, url };
}

/**
 * True when `address` (an IPv4 or IPv6 string; `[brackets]` and IPv6 zone ids allowed) is global
 * unicast. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is judged as its IPv4 address. Anything that is
 * not a canonical IP address string returns false, so callers fail closed.
 */
export function isGlobalUnicast(address: string): boolean {
  return describeNonGlobalAddress(address) === undefined;
}

/**
 * Why `address` is not global unicast, as a noun phrase for error messages ("a loopback
 * address"), or `undefined` when it is global unicast. Shared by the creation-time policy and
 * the connect-time guard so the two can never disagree.
 */
export function describeNonGlobalAddress(address: string): string | undefined {
  const bare = stripBrackets(address);
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return describeV4(ipaddr.IPv4.parse(bare));
  // IPv4 in any other spelling ("127.1") is not something URL or dns.lookup hand us; refuse it
  // rather than guess how the OS would interpret it.
  if (!bare.includes(':') || !ipaddr.IPv6.isValid(bare)) return 'not a valid IP address';
  return describeV6(ipaddr.IPv6.parse(bare));
}

function describeV4(ip: ipaddr.IPv4): string | undefined {
  // ipaddr.js 2.x IPv4 range names; everything not listed in its table is 'unicast'.
  const range: string = ip.range();
  switch (range) {
    case 'unicast':
      return undefined;
    case 'unspecified':
      return 'an unspecified address';
    case 'broadcast':
      return 'the broadcast address';
    case 'multicast':
      return 'a multicast address';
    case 'linkLocal':
      // 169.254.169.254 is the cloud metadata endpoint, the classic SSRF prize.
      return 'a link-local address';
    case 'loopback':
      return 'a loopback address';
    case 'carrierGradeNat':
      return 'a carrier-grade NAT address';
    case 'private':
      return 'a private network address';
    case 'reserved':
      return 'a reserved or documentation address';
    default:
      // as112, amt, and whatever later ipaddr.js versions add: fail closed.
      return 'a special-purpose address';
  }
}

function describeV6(ip: ipaddr.IPv6): string | undefined {
  const range: string = ip.range();
  const parts = ip.parts;
  switch (range) {
    case 'unicast':
      // ipaddr.js calls every address outside its special table 'unicast', including the
      // deprecated IPv4-compatible ::a.b.c.d and unallocated space; IANA's global unicast block
      // is 2000::/3, so require it.
      return ((parts[0] ?? 0) & 0xe000) === 0x2000 ? undefined : 'a reserved or unallocated address';
    case 'ipv4Mapped':
      // ::ffff:a.b.c.d is connected to as a.b.c.d on dual-stack sockets.
      return describeV4(ip.toIPv4Address());
    case 'rfc6052':
      // 64:ff9b::/96 (well-known NAT64 prefix) reaches the embedded IPv4 address, so judge that;
      // 64:ff9b:1::/48 is local-use (RFC 8215) and never global.
      if (parts[2] === 0 && parts[3] === 0 && parts[4] === 0 && parts[5] === 0) {
        return embedded('a NAT64 address', v4FromWords(parts[6], parts[7]));
      }
      return 'a local-use NAT64 address';
    case '6to4':
      // 2002:AABB:CCDD::/48 tunnels to AA.BB.CC.DD.
      return embedded('a 6to4 address', v4FromWords(parts[1], parts[2]));
    case 'unspecified':
      return 'an unspecified address';
    case 'loopback':
      return 'a loopback address';
    case 'linkLocal':
      return 'a link-local address';
    case 'multicast':
      return 'a multicast address';
    case 'uniqueLocal':
      return 'a unique local (private) address';
    case 'deprecatedSiteLocal':
      return 'a site-local address';
    case 'rfc6145':
      return 'an IPv4-translated address';
    case 'teredo':
      // The real peer is obfuscated in the low bits and usually behind NAT; not worth judging.
      return 'a Teredo tunnelling address';
    case 'reserved':
      return 'a reserved or documentation address';
    case 'discard':
      return 'a discard-only address';
    default:
      return 'a special-purpose address';
  }
}

function embedded(kind: string, v4: ipaddr.IPv4): string | undefined {
  const inner = describeV4(v4);
  return inner === undefined ? undefined : `${kind} embedding ${inner} (${v4.toString()})`;
}

function v4FromWords(hi: number | undefined, lo: number | undefined): ipaddr.IPv4 {
  const h = hi ?? 0;
  const l = lo ?? 0;
  return new ipaddr.IPv4([h >> 8, h & 0xff, l >> 8, l & 0xff]);
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** A URL hostname is an IP literal when bracketed (IPv6) or canonical dotted-decimal IPv4. */
function isIpLiteral(bare: string): boolean {
  return bare.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(bare);
}

function refuse(reason: string): UrlVerdict {
  return { ok: false, reason };
}
