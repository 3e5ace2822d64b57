import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRESET_FORMATS, presetTemplate, renderPreset } from '../../src/core/destination-presets.ts';
import {
  parseTemplate,
  type RenderInputs,
  type RenderResult,
  renderTemplate,
  TEMPLATE_LIMITS,
  type Template,
} from '../../src/core/payload-template.ts';
import { loadSeeds, seedPayload } from '../helpers/seeds.ts';

const example = seedPayload;

const NPS_SCORE = example('NPS Score');
const NPS_FEEDBACK = example('NPS Feedback');
const CHECKLIST_COMPLETED = example('Checklist Completed');
const FORM_SUBMITTED = example('Web Flow Form Submitted');

/** The seed's NPS Score event as a detractor with a comment. */
const NPS_WITH_FEEDBACK = {
  ...NPS_SCORE,
  id: 'b1d8c3a0-0000-4000-8000-000000000001',
  attributes: { ...(NPS_SCORE.attributes as object), score: 3, feedback: 'too slow' },
};

function template(value: unknown): Template {
  const result = parseTemplate(value);
  if (!result.ok) assert.fail(`should parse: ${JSON.stringify(result.problems)}`);
  return result.template;
}

function rendered(result: RenderResult): unknown {
  if (!result.ok) assert.fail(`should render: ${result.error}`);
  return JSON.parse(result.body);
}

function render(body: unknown, event: unknown, inputs?: RenderInputs): unknown {
  return rendered(renderTemplate(template({ body }), event, inputs));
}

function renderError(body: unknown, event: unknown, inputs?: RenderInputs): string {
  const result = renderTemplate(template({ body }), event, inputs);
  if (result.ok) assert.fail(`should not render, got ${result.body}`);
  return result.error;
}

function refusedWith(value: unknown, path: string, fragment: string): void {
  const result = parseTemplate(value);
  if (result.ok) assert.fail(`should be refused: ${JSON.stringify(value)?.slice(0, 200)}`);
  assert.ok(
    result.problems.some((problem) => problem.path === path && problem.message.includes(fragment)),
    `expected a problem at ${path} containing "${fragment}", got ${JSON.stringify(result.problems)}`,
  );
}

describe('payload templates: placeholders', () => {
  it('a string that is exactly one placeholder keeps the JSON type of the value', () => {
    const body = {
      user: '{{user_id}}',
      score: '{{attributes.score}}',
      previous: '{{attributes._prev_nps_score}}',
      context: '{{context}}',
      flowVersion: '{{attributes.flowVersion}}',
    };
    assert.deepEqual(render(body, NPS_SCORE), {
      user: 'anon:a24a871a-74f2-450e-b079-95672ac6ba52',
      score: 10,
      previous: null,
      context: { url: 'https://appcues.github.io/flow-testbench/' },
      flowVersion: 1664820161117,
    });
    assert.deepEqual(render('{{attributes.interaction.response}}', FORM_SUBMITTED), [
      (FORM_SUBMITTED.attributes as any).interaction.response[0],
    ]);
    assert.equal(
      render('{{ attributes.flag }}', { attributes: { flag: false } }),
      false,
      'spaces inside the braces',
    );
  });

  it('inside a longer string, strings go in as they are and other values as JSON text', () => {
    const body = {
      text: 'Score {{attributes.score}} from {{user_id}} on {{context.url}}',
      prev: 'prev={{attributes._prev_nps_score}}',
      ctx: 'ctx={{context}}',
      padded: ' {{attributes.score}}',
      two: '{{attributes.score}}{{attributes.score}}',
    };
    assert.deepEqual(render(body, NPS_SCORE), {
      text: 'Score 10 from anon:a24a871a-74f2-450e-b079-95672ac6ba52 on https://appcues.github.io/flow-testbench/',
      prev: 'prev=null',
      ctx: 'ctx={"url":"https://appcues.github.io/flow-testbench/"}',
      padded: ' 10',
      two: '1010',
    });
  });

  it('reaches array items by index and leaves literals, keys and non-string values alone', () => {
    const body = {
      answer: '{{attributes.interaction.response.0.value}}',
      fixed: [1, true, null, 'plain', { nested: 'text with } and { and }}' }],
      user_id: 'user_id',
    };
    assert.deepEqual(render(body, FORM_SUBMITTED), {
      answer: 'Product Manager',
      fixed: [1, true, null, 'plain', { nested: 'text with } and { and }}' }],
      user_id: 'user_id',
    });
  });

  it('a default fills a missing path or a null value, keeping its JSON type when whole', () => {
    const body = {
      feedback: '{{attributes.feedback | "no comment"}}',
      text: 'Feedback: {{attributes.feedback | "no comment"}}',
      score: '{{attributes.score | -1}}',
      previous: '{{attributes._prev_nps_score | 0}}',
      flag: '{{attributes.flag|false}}',
      nothing: '{{attributes.nothing | null}}',
      tricky: '{{attributes.feedback | "a }} | \\" {{b}}"}}',
    };
    assert.deepEqual(render(body, NPS_SCORE), {
      feedback: 'no comment',
      text: 'Feedback: no comment',
      score: 10,
      previous: 0,
      flag: false,
      nothing: null,
      tricky: 'a }} | " {{b}}',
    });
    assert.deepEqual(render(body, NPS_WITH_FEEDBACK), {
      feedback: 'too slow',
      text: 'Feedback: too slow',
      score: 3,
      previous: 0,
      flag: false,
      nothing: null,
      tricky: 'too slow',
    });
  });

  it('a missing path without a default is a render error naming the path, not an exception', () => {
    const error = renderError({ text: 'Feedback: {{attributes.feedback}}' }, NPS_SCORE);
    assert.match(error, /`attributes\.feedback`/);
    assert.match(error, /does not have/);
    assert.match(renderError('{{attributes.score.value}}', NPS_SCORE), /`attributes\.score\.value`/);
    assert.match(renderError('{{attributes.interaction.response.1}}', FORM_SUBMITTED), /response\.1/);
    for (const event of [null, undefined, 42, 'text', [], {}]) {
      assert.doesNotThrow(() => renderTemplate(template({ body: '{{user_id}}' }), event));
      assert.equal(renderTemplate(template({ body: '{{user_id}}' }), event).ok, false);
    }
  });

  it('inserted values are data: a value with {{ is not expanded again, and quotes stay JSON', () => {
    const event = {
      user_id: '{{attributes.secret}}',
      attributes: { secret: 'hidden', note: 'say "hi"\\ {{user_id}}\n\u2028 </script>' },
    };
    const body = {
      whole: '{{user_id}}',
      inside: 'user {{user_id}}',
      note: '{{attributes.note}}',
      text: 'n={{attributes.note}}',
    };
    const result = renderTemplate(template({ body }), event);
    assert.ok(result.ok);
    assert.doesNotMatch(result.body, /hidden/);
    assert.deepEqual(JSON.parse(result.body), {
      whole: '{{attributes.secret}}',
      inside: 'user {{attributes.secret}}',
      note: event.attributes.note,
      text: `n=${event.attributes.note}`,
    });
  });

  it('keys such as __proto__ stay plain keys, in the template and in the event', () => {
    const body = JSON.parse('{"__proto__": {"polluted": "{{user_id}}"}, "a": "{{__proto__.x}}"}');
    const event = JSON.parse('{"user_id": "u1", "__proto__": {"x": 1}}');
    const result = renderTemplate(template({ body }), event);
    assert.ok(result.ok);
    assert.equal(result.body, '{"__proto__":{"polluted":"u1"},"a":1}');
    assert.equal(({} as any).polluted, undefined);
  });

  it('renders byte-identical bodies for the same event, so retries resend the same body', () => {
    const parsed = template({ body: { a: '{{attributes}}', b: 'x {{context}}' } });
    const first = renderTemplate(parsed, NPS_SCORE);
    const second = renderTemplate(parsed, structuredClone(NPS_SCORE));
    assert.deepEqual(first, second);
  });

  it('sends the content type given, application/json by default', () => {
    assert.equal((renderTemplate(template({ body: {} }), NPS_SCORE) as any).contentType, 'application/json');
    const vendor = template({
      body: { s: '{{attributes.score}}' },
      content_type: 'application/vnd.api+json',
    });
    assert.deepEqual(renderTemplate(vendor, NPS_SCORE), {
      ok: true,
      body: '{"s":10}',
      contentType: 'application/vnd.api+json',
    });
  });

  it('a string body with a non-JSON content type is sent as plain text; with JSON, as a JSON string', () => {
    const plain = template({
      body: 'Score {{attributes.score}} "{{user_id}}"',
      content_type: 'text/plain; charset=utf-8',
    });
    assert.deepEqual(renderTemplate(plain, NPS_SCORE), {
      ok: true,
      body: 'Score 10 "anon:a24a871a-74f2-450e-b079-95672ac6ba52"',
      contentType: 'text/plain; charset=utf-8',
    });
    const json = template({
      body: 'Score {{attributes.score}}',
      content_type: 'Application/JSON; charset=utf-8',
    });
    assert.equal((renderTemplate(json, NPS_SCORE) as { body: string }).body, '"Score 10"');
    const typedInText = template({ body: '{{attributes.score}}', content_type: 'text/plain' });
    assert.equal(
      (renderTemplate(typedInText, NPS_SCORE) as { body: string }).body,
      '10',
      'a non-string body is JSON',
    );
  });
});

describe('payload templates: variables', () => {
  it('$type, $label, $details, $summary and $time come from the event and the catalog', () => {
    const body = {
      type: '{{$type}}',
      label: '{{$label}}',
      details: '{{$details}}',
      summary: '{{$summary}}',
      time: '{{$time}}',
    };
    assert.deepEqual(render(body, NPS_WITH_FEEDBACK), {
      type: 'nps_score',
      label: 'NPS Score',
      details: 'NPS Survey · score 3 · "too slow"',
      summary: 'NPS Score — NPS Survey · score 3 · "too slow"',
      time: '2023-05-18T19:48:36.293Z',
    });
    assert.deepEqual(render(body, NPS_FEEDBACK), {
      type: 'nps_feedback',
      label: 'NPS Feedback',
      details: 'NPS Survey · "great stuff"',
      summary: 'NPS Feedback — NPS Survey · "great stuff"',
      time: '2023-05-18T19:48:36.293Z',
    });
    assert.deepEqual(render(body, { name: 'trial_started', user_id: 'u1', timestamp: 0 }), {
      type: 'trial_started',
      label: 'trial_started',
      details: '',
      summary: 'trial_started',
      time: '1970-01-01T00:00:00.000Z',
    });
  });

  it('$secret is given to the renderer, never read from the event', () => {
    const event = { ...NPS_SCORE, $secret: 'from-the-event', secret: 'from-the-event' };
    assert.deepEqual(render({ token: '{{$secret}}' }, event, { secret: 'whsec_given' }), {
      token: 'whsec_given',
    });
    assert.match(renderError({ token: '{{$secret}}' }, event), /no secret/);
    assert.match(renderError({ token: '{{$secret}}' }, event, { secret: null }), /no secret/);
  });

  it('$time needs a numeric timestamp', () => {
    assert.match(renderError('{{$time}}', { name: 'x', timestamp: 'yesterday' }), /`\$time`/);
    assert.match(renderError('{{$time}}', { name: 'x', timestamp: 1e20 }), /`\$time`/);
    assert.equal(render('{{$time | null}}', { name: 'x' }), null);
  });
});

describe('payload templates: escaping for Slack', () => {
  it('escape "slack" escapes &, < and > in inserted strings only', () => {
    const event = { user_id: '<!channel> & <https://evil.example|click>', attributes: { n: 5 } };
    const parsed = template({
      body: { text: '<{{user_id}}> n={{attributes.n}}', whole: '{{user_id}}', n: '{{attributes.n}}' },
      escape: 'slack',
    });
    assert.deepEqual(rendered(renderTemplate(parsed, event)), {
      text: '<&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;> n=5',
      whole: '&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;',
      n: 5,
    });
    assert.deepEqual(
      render({ whole: '{{user_id}}' }, event),
      { whole: event.user_id },
      'no escaping by default',
    );
  });
});

describe('payload templates: validation names the path and the placeholder', () => {
  // [template, pointer, fragment of the message]
  const refusals: Array<[unknown, string, string]> = [
    [null, '', 'A template is an object'],
    ['{{user_id}}', '', 'A template is an object'],
    [{}, '/body', 'A template needs a `body`'],
    [{ body: {}, headers: {} }, '/headers', '`headers` is not a template field'],
    [{ body: {}, content_type: 5 }, '/content_type', 'is a string'],
    [{ body: {}, content_type: '' }, '/content_type', '1 to 200 characters'],
    [{ body: {}, content_type: 'text/plain\r\nX-Evil: 1' }, '/content_type', 'printable ASCII'],
    [{ body: {}, content_type: 'json' }, '/content_type', 'media type'],
    [{ body: {}, content_type: 'text/' }, '/content_type', 'media type'],
    [{ body: {}, escape: 'html' }, '/escape', '"none" or "slack"'],
    [{ body: { text: 'Hi {{user_id' } }, '/body/text', 'not closed by `}}`'],
    [{ body: { text: 'Hi {{}}' } }, '/body/text', 'names a path'],
    [{ body: { text: 'Hi {{ }}' } }, '/body/text', 'names a path'],
    [{ body: ['a', { b: ['{{$nope}}'] }] }, '/body/1/b/0', '`$nope` is not a variable'],
    [{ body: { t: '{{attributes..score}}' } }, '/body/t', 'empty segment'],
    [
      { body: { t: '{{attributes.feedback | no comment}}' } },
      '/body/t',
      'the default after `|` must be a JSON',
    ],
    [{ body: { t: '{{attributes.feedback | }}' } }, '/body/t', 'the default after `|`'],
    [{ body: { t: '{{attributes.feedback | [1]}}' } }, '/body/t', 'the default after `|`'],
    [{ body: { t: '{{attributes.feedback | "unterminated}}' } }, '/body/t', 'the default after `|`'],
    [{ body: { t: '{{attributes.feedback | "a" "b"}}' } }, '/body/t', 'and nothing else'],
    [{ body: { t: '{{user id}}' } }, '/body/t', 'and nothing else'],
    [{ body: { t: '{{user_id | "x" | "y"}}' } }, '/body/t', 'and nothing else'],
    [{ body: { t: '{{#each attributes}}' } }, '/body/t', '{{#each attributes}}'],
    [{ body: { '{{user_id}}': 1 } }, '/body/{{user_id}}', 'Placeholders work in values, not in keys'],
    [{ body: { 'a/b': { c: '{{x' } } }, '/body/a~1b/c', 'not closed'],
  ];

  for (const [value, pointer, fragment] of refusals) {
    it(`${JSON.stringify(value)} → ${pointer}`, () => refusedWith(value, pointer, fragment));
  }

  it('a problem quotes the placeholder at fault', () => {
    const result = parseTemplate({ body: { text: 'A {{attributes.feedback | nope}} B' } });
    assert.ok(!result.ok);
    assert.equal(result.problems[0]?.message.startsWith('`{{attributes.feedback | nope}}`'), true);
  });

  it('never throws, whatever the value', () => {
    const values: unknown[] = [
      undefined,
      0,
      () => 1,
      { body: undefined },
      { body: () => 1 },
      { body: { a: Number.NaN } },
      { body: [undefined] },
      { body: { a: new Map() } },
      { body: '{{'.repeat(10_000) },
      { body: `{{a | "${'\\'.repeat(999)}` },
    ];
    for (const value of values) assert.doesNotThrow(() => parseTemplate(value));
  });
});

describe('payload templates: bounds', () => {
  it(`refuses bodies beyond ${TEMPLATE_LIMITS.maxTemplateBytes} bytes`, () => {
    assert.equal(parseTemplate({ body: 'x'.repeat(TEMPLATE_LIMITS.maxTemplateBytes - 2) }).ok, true);
    refusedWith({ body: 'x'.repeat(TEMPLATE_LIMITS.maxTemplateBytes - 1) }, '/body', 'at most 16384');
  });

  it(`refuses more than ${TEMPLATE_LIMITS.maxPlaceholders} placeholders`, () => {
    assert.equal(parseTemplate({ body: '{{a}}'.repeat(TEMPLATE_LIMITS.maxPlaceholders) }).ok, true);
    refusedWith(
      { body: { t: '{{a}}'.repeat(TEMPLATE_LIMITS.maxPlaceholders + 1) } },
      '/body/t',
      'at most 256 placeholders',
    );
  });

  it(`refuses nesting beyond ${TEMPLATE_LIMITS.maxDepth} levels, even very deep input`, () => {
    const nest = (levels: number): unknown => {
      let value: unknown = '{{user_id}}';
      for (let i = 0; i < levels; i++) value = [value];
      return value;
    };
    assert.equal(parseTemplate({ body: nest(TEMPLATE_LIMITS.maxDepth) }).ok, true);
    refusedWith(
      { body: nest(TEMPLATE_LIMITS.maxDepth + 1) },
      `/body${'/0'.repeat(16)}`,
      'more than 16 levels',
    );
    assert.equal(parseTemplate({ body: nest(200_000) }).ok, false);
  });

  it('a body that would render beyond the output bound fails, early, with an error', () => {
    const big = { name: 'x', attributes: { blob: 'y'.repeat(100_000) } };
    const many = template({ body: Array.from({ length: 20 }, () => '{{attributes}}') });
    assert.match((renderTemplate(many, big) as { error: string }).error, /larger than 1048576 bytes/);
    const inText = template({ body: Array.from({ length: 20 }, () => 'x {{attributes.blob}}') });
    assert.match((renderTemplate(inText, big) as { error: string }).error, /larger than 1048576 bytes/);
    assert.equal(renderTemplate(many, big, { maxOutputBytes: 3_000_000 }).ok, true);
    assert.match(
      (renderTemplate(template({ body: '{{name}}' }), big, { maxOutputBytes: 2 }) as { error: string }).error,
      /larger than 2 bytes/,
    );
  });
});

describe('destination presets: the bodies the services document, for the seed events', () => {
  const SECRET = 'test-only-sheets-token';

  it('slack: an incoming webhook message, text plus one mrkdwn section', () => {
    assert.equal(
      (renderPreset('slack', NPS_WITH_FEEDBACK) as { body: string }).body,
      JSON.stringify({
        text: 'NPS Score — NPS Survey · score 3 · "too slow"',
        blocks: [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: '*NPS Score — NPS Survey · score 3 · "too slow"*\nUser: anon:a24a871a-74f2-450e-b079-95672ac6ba52\nTime: 2023-05-18T19:48:36.293Z',
            },
          },
        ],
      }),
    );
    assert.deepEqual(rendered(renderPreset('slack', CHECKLIST_COMPLETED)), {
      text: 'Checklist Completed — Journeys checklist',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: '*Checklist Completed — Journeys checklist*\nUser: anon:1c499266-100c-477a-93cb-025fe02a9589\nTime: 2023-05-23T19:04:03.141Z',
          },
        },
      ],
    });
  });

  it('slack: an end user cannot ping the channel through their feedback', () => {
    const event = {
      ...NPS_WITH_FEEDBACK,
      attributes: { score: 0, feedback: '<!channel> call me & <https://x.example|now>' },
    };
    const body = rendered(renderPreset('slack', event)) as { text: string };
    assert.equal(
      body.text,
      'NPS Score — score 0 · "&lt;!channel&gt; call me &amp; &lt;https://x.example|now&gt;"',
    );
  });

  it('teams: a Workflows message with one Adaptive Card 1.4 attachment', () => {
    const card = (summary: string, user: string, time: string, name: string) =>
      JSON.stringify({
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            contentUrl: null,
            content: {
              $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
              type: 'AdaptiveCard',
              version: '1.4',
              body: [
                { type: 'TextBlock', text: summary, weight: 'Bolder', size: 'Medium', wrap: true },
                {
                  type: 'FactSet',
                  facts: [
                    { title: 'User', value: user },
                    { title: 'Time', value: time },
                    { title: 'Event', value: name },
                  ],
                },
              ],
            },
          },
        ],
      });
    assert.equal(
      (renderPreset('teams', NPS_FEEDBACK) as { body: string }).body,
      card(
        'NPS Feedback — NPS Survey · "great stuff"',
        'anon:a24a871a-74f2-450e-b079-95672ac6ba52',
        '2023-05-18T19:48:36.293Z',
        'appcues:nps_score',
      ),
    );
    assert.equal(
      (renderPreset('teams', CHECKLIST_COMPLETED) as { body: string }).body,
      card(
        'Checklist Completed — Journeys checklist',
        'anon:1c499266-100c-477a-93cb-025fe02a9589',
        '2023-05-23T19:04:03.141Z',
        'appcues:checklist_completed',
      ),
    );
  });

  it('google_sheets: {token, row} with the webhook secret as the token', () => {
    assert.equal(
      (renderPreset('google_sheets', CHECKLIST_COMPLETED, { secret: SECRET }) as { body: string }).body,
      JSON.stringify({
        token: SECRET,
        row: [
          '2023-05-23T19:04:03.141Z',
          'Checklist Completed',
          'anon:1c499266-100c-477a-93cb-025fe02a9589',
          'Journeys checklist',
          '21430f65-65ac-48a2-a671-1c9e0ff31c8b',
        ],
      }),
    );
    assert.deepEqual(rendered(renderPreset('google_sheets', NPS_WITH_FEEDBACK, { secret: SECRET })), {
      token: SECRET,
      row: [
        '2023-05-18T19:48:36.293Z',
        'NPS Score',
        'anon:a24a871a-74f2-450e-b079-95672ac6ba52',
        'NPS Survey · score 3 · "too slow"',
        'b1d8c3a0-0000-4000-8000-000000000001',
      ],
    });
    const withoutSecret = renderPreset('google_sheets', CHECKLIST_COMPLETED);
    assert.equal(withoutSecret.ok, false);
    assert.match((withoutSecret as { error: string }).error, /no secret/);
  });

  it('zapier: a flat object of the event fields, dotted keys for nested ones, types kept', () => {
    assert.equal(
      (renderPreset('zapier', NPS_WITH_FEEDBACK) as { body: string }).body,
      JSON.stringify({
        account_id: '94742',
        'attributes._prev_nps_score': null,
        'attributes._prev_nps_score_time': null,
        'attributes.flowId': 'c32fb928-7a1a-4feb-8993-696aa68fe5fb',
        'attributes.flowName': 'NPS Survey',
        'attributes.flowType': 'satisfaction-survey',
        'attributes.flowVersion': 1664820161117,
        'attributes.localeId': 'default',
        'attributes.localeName': 'default',
        'attributes.score': 3,
        'attributes.sessionId': 1670422599749,
        'attributes.feedback': 'too slow',
        'context.url': 'https://appcues.github.io/flow-testbench/',
        group_id: null,
        id: 'b1d8c3a0-0000-4000-8000-000000000001',
        ingested_at: 1684439316408,
        name: 'appcues:nps_score',
        source: null,
        timestamp: 1684439316293,
        user_id: 'anon:a24a871a-74f2-450e-b079-95672ac6ba52',
      }),
    );
    assert.deepEqual(rendered(renderPreset('zapier', FORM_SUBMITTED)), {
      account_id: '94742',
      'attributes.flowId': 'daf26add-b4ec-466e-92a7-349defcd55fa',
      'attributes.flowName': 'Modal Test',
      'attributes.flowType': 'journey',
      'attributes.flowVersion': 1684507357284,
      'attributes.interaction.category': 'form',
      'attributes.interaction.formId': null,
      'attributes.interaction.response.0.fieldId': '83038f4a-2505-47fb-9092-ec72ca3eb981',
      'attributes.interaction.response.0.fieldRequired': false,
      'attributes.interaction.response.0.fieldType': 'null',
      'attributes.interaction.response.0.label': "What's your role at the company?",
      'attributes.interaction.response.0.value': 'Product Manager',
      'attributes.interactionType': 'submit',
      'attributes.sessionId': 1684868063974,
      'attributes.stepChildId': 'fe3e9b79-2e90-488b-a698-7440229820c9',
      'attributes.stepChildNumber': 0,
      'attributes.stepId': '69bf781b-a660-43ea-8f2f-7580dfc4eee3',
      'attributes.stepNumber': 0,
      'attributes.stepType': 'modal',
      'context.url': 'https://appcues.github.io/flow-testbench/',
      group_id: null,
      id: '0129c911-380b-4554-ab84-0e1cab7919eb',
      ingested_at: 1684868069159,
      name: 'appcues:form_submitted',
      timestamp: 1684868069056,
      user_id: 'anon:1c499266-100c-477a-93cb-025fe02a9589',
    });
  });

  it('zapier: keys a path cannot name keep their object whole; empty objects and arrays stay', () => {
    const event = JSON.parse(
      '{"id":"e1","name":"x","user_id":"u","attributes":{"a.b":1,"c":2},"context":{"plan":{"tier":"pro"},"tags":[],"meta":{}},"$odd":1,"__proto__":{"k":1}}',
    );
    assert.deepEqual(presetTemplate('zapier', { event }), {
      body: JSON.parse(
        '{"id":"{{id}}","name":"{{name}}","user_id":"{{user_id}}","attributes":"{{attributes}}","context.plan.tier":"{{context.plan.tier}}","context.tags":"{{context.tags}}","context.meta":"{{context.meta}}","__proto__.k":"{{__proto__.k}}"}',
      ),
    });
    assert.equal(
      (renderPreset('zapier', event) as { body: string }).body,
      '{"id":"e1","name":"x","user_id":"u","attributes":{"a.b":1,"c":2},"context.plan.tier":"pro","context.tags":[],"context.meta":{},"__proto__.k":1}',
    );
  });

  it('every preset for every seed example renders, and is exactly its shown template rendered', () => {
    for (const { title, payload } of loadSeeds()) {
      for (const format of PRESET_FORMATS) {
        const shown = presetTemplate(format, { event: payload });
        const parsed = parseTemplate(shown);
        assert.ok(parsed.ok, `${format} template for ${title} parses as a user template`);
        const direct = renderPreset(format, payload, { secret: SECRET });
        assert.ok(direct.ok, `${format} renders ${title}`);
        assert.deepEqual(
          renderTemplate(parsed.template, payload, { secret: SECRET }),
          direct,
          `${format} ${title}`,
        );
      }
    }
  });

  it('shows each fixed preset as its template, as a copy the caller may change', () => {
    assert.deepEqual(presetTemplate('google_sheets'), {
      body: {
        token: '{{$secret}}',
        row: ['{{$time}}', '{{$label}}', '{{user_id}}', '{{$details}}', '{{id}}'],
      },
    });
    assert.deepEqual(presetTemplate('slack'), {
      body: {
        text: '{{$summary}}',
        blocks: [
          {
            type: 'section',
            text: { type: 'mrkdwn', text: '*{{$summary}}*\nUser: {{user_id}}\nTime: {{$time}}' },
          },
        ],
      },
      escape: 'slack',
    });
    const copy = presetTemplate('teams') as { body: { type: string } };
    copy.body.type = 'changed';
    assert.equal((presetTemplate('teams').body as { type: string }).type, 'message');
    assert.deepEqual(presetTemplate('zapier'), {
      body: {
        id: '{{id}}',
        name: '{{name}}',
        account_id: '{{account_id}}',
        user_id: '{{user_id}}',
        timestamp: '{{timestamp}}',
        ingested_at: '{{ingested_at}}',
      },
    });
  });
});
