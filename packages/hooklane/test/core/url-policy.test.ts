import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkWebhookUrl, describeNonGlobalAddress, isGlobalUnicast } from '../../src/core/url-policy.ts';

const strict = { allowPrivateNetworks: false };
const lenient = { allowPrivateNetworks: true };

function refused(raw: string, opts = strict): string {
  const verdict = checkWebhookUrl(raw, opts);
  assert.equal(verdict.ok, false, `${raw} should be refused`);
  return verdict.ok ? '' : verdict.reason;
}

function accepted(raw: string, opts = strict): URL {
  const verdict = checkWebhookUrl(raw, opts);
  assert.ok(verdict.ok, `${raw} should be accepted, got: ${verdict.ok ? '' : verdict.reason}`);
  return verdict.url;
}

describe('checkWebhookUrl: non-global targets', () => {
  // [url, fragment the reason must contain]
  const refusals: Array<[string, string]> = [
    // loopback, in every spelling WHATWG URL canonicalises
    ['http://127.0.0.1/hook', 'loopback address (127.0.0.1)'],
    ['http://127.1/', 'loopback address (127.0.0.1)'],
    ['http://2130706433/', 'loopback address (127.0.0.1)'],
    ['http://0x7f.1/', 'loopback address (127.0.0.1)'],
    ['http://0x7f000001/', 'loopback address (127.0.0.1)'],
    ['http://0177.0.0.1/', 'loopback address (127.0.0.1)'],
    ['http://%31%32%37.0.0.1/', 'loopback address (127.0.0.1)'],
    ['http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/', 'loopback address (127.0.0.1)'],
    ['http://127.255.255.254:8080/', 'loopback'],
    ['https://127.0.0.1./x', 'loopback'],
    // localhost names
    ['http://localhost/', 'loopback name'],
    ['http://LOCALHOST:3000/', 'loopback name'],
    ['http://localhost./', 'loopback name'],
    ['http://api.localhost/', 'loopback name'],
    ['http://api.localhost../', 'loopback name'],
    // IPv4 special ranges
    ['http://0.0.0.0/', 'unspecified'],
    ['http://0/', 'unspecified'],
    ['http://0.1.2.3/', 'unspecified'],
    ['http://10.0.0.1/', 'private'],
    ['http://10.255.255.255/', 'private'],
    ['http://172.16.0.1/', 'private'],
    ['http://172.31.255.255/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://100.64.0.1/', 'carrier-grade NAT'],
    ['http://100.127.255.255/', 'carrier-grade NAT'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local address (169.254.169.254)'],
    ['http://169.254.0.1/', 'link-local'],
    ['http://192.0.0.1/', 'reserved'],
    ['http://192.0.2.10/', 'documentation'],
    ['http://198.18.0.1/', 'reserved'],
    ['http://198.19.255.255/', 'reserved'],
    ['http://198.51.100.7/', 'documentation'],
    ['http://203.0.113.9/', 'documentation'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://239.255.255.250/', 'multicast'],
    ['http://240.0.0.1/', 'reserved'],
    ['http://255.255.255.254/', 'reserved'],
    ['http://255.255.255.255/', 'broadcast'],
    // IPv6
    ['http://[::]/', 'unspecified'],
    ['http://[::1]/', 'loopback address (::1)'],
    ['http://[0:0:0:0:0:0:0:1]/', 'loopback address (::1)'],
    ['http://[::ffff:127.0.0.1]/', 'loopback address (::ffff:7f00:1)'],
    ['http://[::ffff:7f00:1]/', 'loopback'],
    ['http://[::ffff:10.0.0.1]/', 'private'],
    ['http://[::ffff:169.254.169.254]/', 'link-local'],
    ['http://[::127.0.0.1]/', 'reserved or unallocated'],
    ['http://[fc00::1]/', 'unique local'],
    ['http://[fd12:3456:789a::1]/', 'unique local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[febf:ffff::1]/', 'link-local'],
    ['http://[fec0::1]/', 'site-local'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://[ff0e::1]/', 'multicast'],
    ['http://[64:ff9b::7f00:1]/', 'NAT64 address embedding a loopback address (127.0.0.1)'],
    ['http://[64:ff9b::a9fe:a9fe]/', 'link-local'],
    ['http://[64:ff9b:1::1]/', 'local-use NAT64'],
    ['http://[2002:7f00:1::1]/', '6to4 address embedding a loopback'],
    ['http://[2002:c0a8:101::1]/', 'private'],
    ['http://[2001::1]/', 'Teredo'],
    ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'Teredo'],
    ['http://[2001:db8::1]/', 'documentation'],
    ['http://[3fff::1]/', 'documentation'],
    ['http://[100::1]/', 'discard'],
    ['http://[::ffff:0:7f00:1]/', 'IPv4-translated'],
    ['http://[4000::1]/', 'reserved or unallocated'],
  ];

  for (const [raw, fragment] of refusals) {
    it(`refuses ${raw}`, () => {
      const reason = refused(raw);
      assert.ok(reason.includes(fragment), `reason for ${raw} was: ${reason}`);
      assert.ok(reason.includes('HOOKLANE_ALLOW_PRIVATE_NETWORKS=true'), reason);
    });
  }

  it('reason is a short human sentence', () => {
    assert.equal(
      refused('http://127.1/'),
      'the target is a loopback address (127.0.0.1); set HOOKLANE_ALLOW_PRIVATE_NETWORKS=true to allow it',
    );
  });
});

describe('checkWebhookUrl: malformed or unsupported targets', () => {
  const refusals: Array<[string, string]> = [
    ['ftp://example.com/hook', 'http or https, not ftp'],
    ['javascript:alert(1)', 'http or https, not javascript'],
    ['file:///etc/passwd', 'http or https, not file'],
    ['ws://example.com/', 'http or https'],
    ['data:text/plain,hi', 'http or https'],
    ['/relative/hook', 'not a valid absolute URL'],
    ['example.com/hook', 'not a valid absolute URL'],
    ['//example.com/hook', 'not a valid absolute URL'],
    ['http://', 'not a valid absolute URL'],
    ['http://exa mple.com/', 'not a valid absolute URL'],
    ['', 'empty'],
    ['https://user:secret@example.com/hook', 'username or password'],
    ['https://user@example.com/hook', 'username or password'],
    ['https://:secret@example.com/hook', 'username or password'],
    [`https://example.com/${'a'.repeat(2048)}`, 'longer than 2048'],
  ];
  for (const [raw, fragment] of refusals) {
    it(`refuses ${raw.slice(0, 60)}`, () => {
      const reason = refused(raw);
      assert.ok(reason.includes(fragment), `reason for ${raw} was: ${reason}`);
    });
  }

  it('accepts exactly 2048 characters', () => {
    const base = 'https://example.com/';
    accepted(base + 'a'.repeat(2048 - base.length));
  });
});

describe('checkWebhookUrl: accepted targets', () => {
  const accepts = [
    'https://example.com/hook',
    'http://example.com:8080/path?q=1#frag',
    'http://93.184.216.34/',
    'https://8.8.8.8/hook',
    'https://[2606:4700::1111]/',
    'https://[::ffff:8.8.8.8]/',
    'https://[64:ff9b::808:808]/',
    'https://172.32.0.1/',
    'https://100.128.0.1/',
    'https://localhost.example.com/',
    'https://mylocalhost/',
    'https://127.0.0.1.nip.io/', // a name: judged at connect time, not here
  ];
  for (const raw of accepts) {
    it(`accepts ${raw}`, () => {
      const url = accepted(raw);
      assert.ok(url instanceof URL);
    });
  }

  it('returns the canonical parsed URL', () => {
    assert.equal(accepted('HTTPS://Example.COM/hook').href, 'https://example.com/hook');
  });
});

describe('checkWebhookUrl: allowPrivateNetworks', () => {
  const allowed = [
    'http://127.0.0.1:3000/x',
    'http://localhost:3000/x',
    'http://[::1]/',
    'http://10.0.0.1/',
    'http://169.254.169.254/',
    'http://2130706433/',
  ];
  for (const raw of allowed) {
    it(`allows ${raw}`, () => {
      accepted(raw, lenient);
    });
  }

  it('still refuses other schemes, credentials, garbage and overlong URLs', () => {
    refused('ftp://127.0.0.1/', lenient);
    refused('file:///etc/passwd', lenient);
    refused('http://u:p@127.0.0.1/', lenient);
    refused('not a url', lenient);
    refused(`http://127.0.0.1/${'a'.repeat(2048)}`, lenient);
  });
});

describe('isGlobalUnicast', () => {
  const global = [
    '1.1.1.1',
    '93.184.216.34',
    '2606:4700::1111',
    '[2606:4700::1111]',
    '::ffff:8.8.8.8',
    '2a00::1',
  ];
  const nonGlobal = [
    '127.0.0.1',
    '0.0.0.0',
    '10.1.2.3',
    '172.16.5.4',
    '192.168.0.1',
    '100.64.0.1',
    '169.254.169.254',
    '192.0.0.8',
    '192.0.2.1',
    '198.18.0.1',
    '198.51.100.1',
    '203.0.113.1',
    '224.0.0.251',
    '240.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '[::1]',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    'fc00::1',
    'fd00::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '64:ff9b::7f00:1',
    '2001:db8::1',
    // not canonical IP strings: fail closed
    '127.1',
    '2130706433',
    'example.com',
    '',
    '[]',
  ];
  for (const a of global) {
    it(`${a} is global`, () => assert.equal(isGlobalUnicast(a), true));
  }
  for (const a of nonGlobal) {
    it(`${a || '(empty)'} is not global`, () => assert.equal(isGlobalUnicast(a), false));
  }

  it('describeNonGlobalAddress names the range', () => {
    assert.equal(describeNonGlobalAddress('127.0.0.1'), 'a loopback address');
    assert.equal(describeNonGlobalAddress('::ffff:10.0.0.1'), 'a private network address');
    assert.equal(describeNonGlobalAddress('8.8.8.8'), undefined);
  });
});
