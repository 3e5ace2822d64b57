import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadConfig(env, '/srv');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

test('the public URL is unset by default and kept without a trailing slash; others are refused', () => {
  assert.equal(loadConfig({}, '/srv').publicUrl, null);
  assert.equal(
    loadConfig({ HOOKLANE_PUBLIC_URL: 'https://hooks.example.com/' }, '/srv').publicUrl,
    'https://hooks.example.com',
  );
  assert.equal(
    loadConfig({ HOOKLANE_PUBLIC_URL: 'https://example.com/hooklane/' }, '/srv').publicUrl,
    'https://example.com/hooklane',
  );
  for (const bad of [
    'hooks.example.com',
    'ftp://example.com',
    'https://example.com/?a=1',
    'https://example.com/#x',
  ]) {
    assert.match(problemsOf({ HOOKLANE_PUBLIC_URL: bad }).join('\n'), /HOOKLANE_PUBLIC_URL/, bad);
  }
});

test("the portal's frame ancestors default to any, and cannot end the policy early", () => {
  assert.equal(loadConfig({}, '/srv').portalFrameAncestors, '*');
  assert.equal(
    loadConfig(
      { HOOKLANE_PORTAL_FRAME_ANCESTORS: ' https://app.example.com   https://*.example.com ' },
      '/srv',
    ).portalFrameAncestors,
    'https://app.example.com https://*.example.com',
  );
  assert.equal(
    loadConfig({ HOOKLANE_PORTAL_FRAME_ANCESTORS: "'none'" }, '/srv').portalFrameAncestors,
    "'none'",
  );
  for (const bad of [
    "* ; script-src 'unsafe-inline'",
    'https://a.example, https://b.example',
    'https://é.example',
  ]) {
    assert.match(
      problemsOf({ HOOKLANE_PORTAL_FRAME_ANCESTORS: bad }).join('\n'),
      /HOOKLANE_PORTAL_FRAME_ANCESTORS/,
      bad,
    );
  }
});
