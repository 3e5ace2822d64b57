import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, loadConfig, SETTINGS } from '../../src/config.ts';
import { INGEST_COMMIT_GAP_MS } from '../../src/store/sqlite/index.ts';

test('defaults follow SPEC §5 and §7', () => {
  const config = loadConfig({}, '/srv');
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8080);
  assert.equal(config.dataDir, '/srv/.hooklane');
  assert.deepEqual(
    config.retrySchedule,
    [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
  );
  assert.equal(config.deliveryTimeoutMs, 15_000);
  assert.equal(config.claimBatchSize, 100);
  assert.equal(config.leaseMs, 30_000);
  assert.equal(config.maxInFlightPerWebhook, 32);
  assert.equal(config.maxResponseBodyBytes, 65_536);
  assert.equal(config.maxBodyBytes, 1_048_576);
  assert.equal(config.maxEventBytes, 262_144);
  assert.equal(config.disableAfterMs, 5 * 86_400_000);
  assert.equal(config.secretGraceMs, 86_400_000);
  assert.equal(config.role, 'all');
  assert.equal(config.rootKey, null);
  assert.ok(Object.isFrozen(config));
});

test('an empty HOOKLANE_ROOT_KEY counts as unset', () => {
  assert.equal(loadConfig({ HOOKLANE_ROOT_KEY: '' }).rootKey, null);
  assert.equal(loadConfig({ HOOKLANE_ROOT_KEY: '  ' }).rootKey, null);
});

test('durations and the retry schedule parse', () => {
  const config = loadConfig({
    HOOKLANE_RETRY_SCHEDULE: '250ms, 1s,2m,1h,1d',
    HOOKLANE_DELIVERY_TIMEOUT: '3s',
  });
  assert.deepEqual(config.retrySchedule, [250, 1000, 120_000, 3_600_000, 86_400_000]);
  assert.equal(config.deliveryTimeoutMs, 3000);
});

test("the embedded store's commit gap defaults to the store's own and is bounded", () => {
  assert.equal(loadConfig({}).sqliteCommitGapMs, INGEST_COMMIT_GAP_MS);
  assert.equal(loadConfig({ HOOKLANE_SQLITE_COMMIT_GAP: '10ms' }).sqliteCommitGapMs, 10);
  assert.equal(loadConfig({ HOOKLANE_SQLITE_COMMIT_GAP: '0' }).sqliteCommitGapMs, 0);
  for (const bad of ['2s', 'soon', '-1ms']) {
    assert.throws(
      () => loadConfig({ HOOKLANE_SQLITE_COMMIT_GAP: bad }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((problem) => /HOOKLANE_SQLITE_COMMIT_GAP .*from 0ms to 1s/.test(problem)),
      bad,
    );
  }
});

test('every problem is reported at once, with the setting named', () => {
  assert.throws(
    () =>
      loadConfig({
        PORT: 'eighty',
        HOOKLANE_ROLE: 'boss',
        HOOKLANE_RETRY_SCHEDULE: '5s,soon',
        HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'maybe',
        HOOKLANE_SECRET_KEY: 'c2hvcnQ=',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        HOOKLANE_DELIVERY_TIMEOUT: '0',
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const text = error.problems.join('\n');
      for (const name of [
        'PORT',
        'HOOKLANE_ROLE',
        'HOOKLANE_RETRY_SCHEDULE',
        'HOOKLANE_ALLOW_PRIVATE_NETWORKS',
        'HOOKLANE_SECRET_KEY',
        'DATABASE_URL',
        'LOG_LEVEL',
        'HOOKLANE_DELIVERY_TIMEOUT',
      ]) {
        assert.match(text, new RegExp(name));
      }
      return true;
    },
  );
});

test('the README documents every setting', () => {
  const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
  for (const setting of SETTINGS)
    assert.ok(readme.includes(`\`${setting.name}\``), `README lacks ${setting.name}`);
});
