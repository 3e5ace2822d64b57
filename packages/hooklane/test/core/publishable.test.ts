import assert from 'node:assert/strict';
import { test } from 'node:test';
import { webhookWants } from '../../src/core/matching.ts';
import { buildPayload } from '../../src/core/payload-formats.ts';
import {
  allowedFields,
  browserEventTime,
  clientOf,
  eventRefusal,
  MAX_EVENT_AGE_MS,
  normaliseOrigin,
  originAllowed,
  triggerAllowed,
} from '../../src/core/publishable.ts';

test('an origin is scheme, host and port as a browser sends it', () => {
  assert.equal(normaliseOrigin('https://App.Example.com'), 'https://app.example.com');
  assert.equal(normaliseOrigin('https://app.example.com:443'), 'https://app.example.com');
  assert.equal(normaliseOrigin('http://localhost:5173'), 'http://localhost:5173');
  assert.equal(normaliseOrigin('https://app.example.com/'), 'https://app.example.com');
  for (const refused of [
    'https://app.example.com/app',
    'ftp://x.example',
    'x',
    'https://u@x.example',
    'https://x.example?a=1',
    'null',
  ]) {
    assert.equal(normaliseOrigin(refused), undefined, refused);
  }
});

test('a request is allowed only from a listed origin, compared exactly', () => {
  const policy = { origins: ['https://app.example.com', 'http://localhost:5173'] };
  assert.equal(originAllowed(policy, 'https://app.example.com'), true);
  assert.equal(originAllowed(policy, 'http://localhost:5173'), true);
  for (const refused of [
    undefined,
    'null',
    'http://app.example.com',
    'https://app.example.com:8443',
    'https://evil.example',
    'https://app.example.com.evil.example',
    'https://app.example.com/',
  ]) {
    assert.equal(originAllowed(policy, refused), false, String(refused));
  }
});

test('by default a key sends the catalog types only; a list allows names, type ids or *', () => {
  const defaults = { events: null };
  assert.equal(eventRefusal(defaults, { name: 'banner_closed' }), undefined);
  assert.equal(
    eventRefusal(defaults, { name: 'appcues:step_interacted', attributes: { interactionType: 'click' } }),
    undefined,
  );
  assert.match(eventRefusal(defaults, { name: 'my_custom' }) ?? '', /catalog/);
  const listed = { events: ['my_custom', 'flow_button_clicked'] };
  assert.equal(eventRefusal(listed, { name: 'my_custom' }), undefined);
  assert.equal(
    eventRefusal(listed, { name: 'appcues:step_interacted', attributes: { interactionType: 'click' } }),
    undefined,
  );
  assert.match(eventRefusal(listed, { name: 'banner_closed' }) ?? '', /may not/);
  assert.equal(eventRefusal({ events: ['*'] }, { name: 'anything' }), undefined);
});

test('trigger events never come through the events endpoint; triggers need trigger:<name> or trigger:*', () => {
  for (const events of [null, ['*'], ['trigger:*'], ['trigger:onboarding']]) {
    assert.match(eventRefusal({ events }, { name: 'trigger:onboarding' }) ?? '', /trigger endpoint/);
  }
  assert.equal(triggerAllowed({ events: null }, 'onboarding'), false);
  assert.equal(triggerAllowed({ events: ['*'] }, 'onboarding'), false);
  assert.equal(triggerAllowed({ events: ['trigger:onboarding'] }, 'onboarding'), true);
  assert.equal(triggerAllowed({ events: ['trigger:onboarding'] }, 'other'), false);
  assert.equal(triggerAllowed({ events: ['trigger:*'] }, 'other'), true);
});

test("an event's time is the server's minus its age, the age clamped to [0, a week]", () => {
  assert.equal(browserEventTime(1_000_000, 1500), 998_500);
  assert.equal(browserEventTime(1_000_000, 1500.6), 998_499);
  assert.equal(browserEventTime(1_000_000, -5000), 1_000_000);
  assert.equal(browserEventTime(1e13, 1e15), 1e13 - MAX_EVENT_AGE_MS);
});

test('a trigger keeps only the listed top-level fields', () => {
  assert.deepEqual(
    allowedFields({ role: 'PM', email: 'x@example.com', plan: { a: 1 } }, ['plan', 'role', 'absent']),
    {
      plan: { a: 1 },
      role: 'PM',
    },
  );
  assert.deepEqual(
    allowedFields({ __proto__: { role: 'inherited' } } as Record<string, unknown>, ['role']),
    {},
  );
});

test('a trigger event reaches the webhook whose trigger it names, and no other', () => {
  const base = { filters: { contentIds: null }, trigger: null };
  const event = { name: 'trigger:onboarding', typeId: null, contentId: null };
  assert.equal(webhookWants({ ...base, events: ['*'] }, event), false);
  assert.equal(webhookWants({ ...base, events: ['trigger:onboarding'] }, event), false);
  assert.equal(
    webhookWants({ ...base, events: ['x'], trigger: { name: 'onboarding', fields: [] } }, event),
    true,
  );
  assert.equal(
    webhookWants({ ...base, events: ['*'], trigger: { name: 'other', fields: [] } }, event),
    false,
  );
  assert.equal(
    webhookWants(
      { ...base, events: ['*'], trigger: { name: 'onboarding', fields: [] } },
      { ...event, name: 'banner_closed' },
    ),
    true,
  );
});

test("the usetiful format delivers a trigger in the shape of Usetiful's Trigger event step", () => {
  const body = buildPayload('usetiful', 'crm', [
    {
      accountId: 'acc_1',
      id: 'e1',
      name: 'trigger:onboarding',
      typeId: null,
      userId: 'u1',
      contentId: null,
      occurredAt: 0,
      ingestedAt: 0,
      body: JSON.stringify({ id: 'e1', name: 'trigger:onboarding', attributes: { role: 'PM' } }),
    },
  ]);
  assert.deepEqual(JSON.parse(body), {
    name: 'crm',
    userId: 'u1',
    events: [{ name: 'trigger', trigger: 'onboarding', contentId: null }],
    data: { role: 'PM' },
  });
});

test('a per-client bucket counts an IPv6 client by its /64, whose addresses it changes at will; IPv4 as it is', () => {
  assert.equal(clientOf('203.0.113.9'), '203.0.113.9');
  assert.equal(clientOf('::ffff:203.0.113.9'), '203.0.113.9');
  assert.equal(clientOf('2001:db8:1:2:aaaa:bbbb:cccc:1'), '2001:db8:1:2::/64');
  assert.equal(clientOf('2001:0db8:0001:0002::9'), '2001:db8:1:2::/64');
  assert.equal(clientOf('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientOf('::1'), '0:0:0:0::/64');
  assert.equal(clientOf('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.notEqual(clientOf('2001:db8:1:2::1'), clientOf('2001:db8:1:3::1'));
});
