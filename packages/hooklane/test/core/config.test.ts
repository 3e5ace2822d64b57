import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, loadConfig, SETTINGS } from '../../src/config.ts';
import { DEFAULT_RETRY_SCHEDULE_MS } from '../../src/core/retry-policy.ts';
import { INGEST_COMMIT_GAP_MS } from '../../src/store/sqlite/index.ts';

test('defaults are the documented ones', () => {
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

test('the configuration page documents every setting', () => {
  // docs/configuration.md is generated from SETTINGS (test/core/config-docs.test.ts keeps it current).
  const page = readFileSync(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');
  for (const setting of SETTINGS)
    assert.ok(page.includes(`\`${setting.name}\``), `docs/configuration.md lacks ${setting.name}`);
});

test('every setting has one record, and its default is the value used when it is unset', () => {
  assert.equal(new Set(SETTINGS.map((setting) => setting.name)).size, SETTINGS.length);
  assert.equal(new Set(SETTINGS.map((setting) => setting.key)).size, SETTINGS.length);
  const defaults = loadConfig({}, '/srv');
  assert.deepEqual(Object.keys(defaults).sort(), SETTINGS.map((setting) => setting.key).sort());
  for (const setting of SETTINGS) {
    if (setting.default === null) continue;
    const explicit = loadConfig({ [setting.name]: setting.default }, '/srv');
    assert.deepEqual(explicit[setting.key], defaults[setting.key], setting.name);
  }
  // The retry schedule's default is written once, in the retry policy.
  assert.deepEqual(defaults.retrySchedule, DEFAULT_RETRY_SCHEDULE_MS);
});

/** The problems loadConfig reports for `env`, or [] when it accepts it. */
function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
}

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');
const KEY_C = Buffer.alloc(32, 3).toString('base64');

test('HOOKLANE_SECRET_KEY_PREVIOUS: comma-separated 32-byte keys, only beside HOOKLANE_SECRET_KEY', () => {
  assert.deepEqual(loadConfig({}).previousSecretKeys, []);
  const config = loadConfig({
    HOOKLANE_SECRET_KEY: KEY_A,
    HOOKLANE_SECRET_KEY_PREVIOUS: ` ${KEY_B}, ${KEY_C},`,
  });
  assert.deepEqual(config.previousSecretKeys, [KEY_B, KEY_C]);
  assert.ok(Object.isFrozen(config.previousSecretKeys));
  assert.deepEqual(
    loadConfig({ HOOKLANE_SECRET_KEY: KEY_A, HOOKLANE_SECRET_KEY_PREVIOUS: ' ' }).previousSecretKeys,
    [],
  );
  assert.deepEqual(
    problemsOf({ HOOKLANE_SECRET_KEY: KEY_A, HOOKLANE_SECRET_KEY_PREVIOUS: `${KEY_B},c2hvcnQ=` }),
    ['HOOKLANE_SECRET_KEY_PREVIOUS must be comma-separated base64 keys of exactly 32 bytes each'],
  );
  assert.deepEqual(problemsOf({ HOOKLANE_SECRET_KEY_PREVIOUS: KEY_B }), [
    'HOOKLANE_SECRET_KEY_PREVIOUS needs HOOKLANE_SECRET_KEY (the new key) as well',
  ]);
});

test('HOOKLANE_DB_POOL_SIZE: an integer from 1 to 1000, 10 by default', () => {
  assert.equal(loadConfig({}).databasePoolSize, 10);
  assert.equal(loadConfig({ HOOKLANE_DB_POOL_SIZE: '25' }).databasePoolSize, 25);
  assert.equal(loadConfig({ HOOKLANE_DB_POOL_SIZE: '1000' }).databasePoolSize, 1000);
  for (const bad of ['0', '1001', 'ten', '2.5']) {
    assert.deepEqual(problemsOf({ HOOKLANE_DB_POOL_SIZE: bad }), [
      `HOOKLANE_DB_POOL_SIZE must be an integer from 1 to 1000 (got "${bad}")`,
    ]);
  }
});

test('HOOKLANE_RETENTION: a duration, 30 days by default, 0 keeps everything', () => {
  assert.equal(loadConfig({}).retentionMs, 30 * 86_400_000);
  assert.equal(loadConfig({ HOOKLANE_RETENTION: '7d' }).retentionMs, 7 * 86_400_000);
  assert.equal(loadConfig({ HOOKLANE_RETENTION: '0' }).retentionMs, 0);
  for (const bad of ['forever', '-1d']) {
    assert.match(
      problemsOf({ HOOKLANE_RETENTION: bad }).join('\n'),
      /^HOOKLANE_RETENTION must be a duration .*at least 0ms/,
    );
  }
});

test('HOOKLANE_RETENTION_INTERVAL: a duration of at least 10ms, 10 minutes by default', () => {
  assert.equal(loadConfig({}).retentionIntervalMs, 600_000);
  assert.equal(loadConfig({ HOOKLANE_RETENTION_INTERVAL: '1h' }).retentionIntervalMs, 3_600_000);
  assert.equal(loadConfig({ HOOKLANE_RETENTION_INTERVAL: '10ms' }).retentionIntervalMs, 10);
  for (const bad of ['5ms', 'hourly']) {
    assert.match(
      problemsOf({ HOOKLANE_RETENTION_INTERVAL: bad }).join('\n'),
      /^HOOKLANE_RETENTION_INTERVAL must be a duration .*at least 10ms/,
    );
  }
});
