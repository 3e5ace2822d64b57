/**
 * Ready-made formats for common destinations, each nothing but a payload template (see
 * `payload-template.ts`), so a user can see the template a format amounts to and start a
 * custom one from it:
 * - `slack`: a Slack incoming webhook message, `{"text", "blocks": [section with mrkdwn]}`;
 *   `text` is the notification fallback. Inserted text is escaped for mrkdwn.
 * - `teams`: a Microsoft Teams Workflows webhook message with one Adaptive Card 1.4 attachment.
 * - `google_sheets`: `{"token", "row": [...]}` for a Google Apps Script web app that appends
 *   the row; Apps Script cannot read request headers, so the webhook's secret travels in the
 *   body as `token` for the script to check.
 * - `zapier`: a flat object of the event's fields for a Zapier *Catch Hook*, nested fields
 *   under dotted keys (`attributes.score`), array items by index (`attributes.list.0`).
 *
 * @module
 */

import { isPlainObject } from './json.ts';
import { FILTER_LIMITS } from './payload-filter.ts';
import {
  parseTemplate,
  type RenderInputs,
  type RenderResult,
  renderTemplate,
  type Template,
  type TemplateDefinition,
} from './payload-template.ts';

export const PRESET_FORMATS = ['slack', 'teams', 'google_sheets', 'zapier'] as const;
export type PresetFormat = (typeof PRESET_FORMATS)[number];

const SLACK: TemplateDefinition = {
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
};

const TEAMS: TemplateDefinition = {
  body: {
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
            { type: 'TextBlock', text: '{{$summary}}', weight: 'Bolder', size: 'Medium', wrap: true },
            {
              type: 'FactSet',
              facts: [
                { title: 'User', value: '{{user_id}}' },
                { title: 'Time', value: '{{$time}}' },
                { title: 'Event', value: '{{name}}' },
              ],
            },
          ],
        },
      },
    ],
  },
};

const GOOGLE_SHEETS: TemplateDefinition = {
  body: {
    token: '{{$secret}}',
    row: ['{{$time}}', '{{$label}}', '{{user_id}}', '{{$details}}', '{{id}}'],
  },
};

/** The envelope fields every stored event has, for the Zapier template when no event is given. */
const ENVELOPE_FIELDS = ['id', 'name', 'account_id', 'user_id', 'timestamp', 'ingested_at'] as const;

const FIXED: Readonly<Record<Exclude<PresetFormat, 'zapier'>, Template>> = {
  slack: mustParse(SLACK),
  teams: mustParse(TEAMS),
  google_sheets: mustParse(GOOGLE_SHEETS),
};

/** Bounds for the Zapier template, which follows the event rather than a user's hand. */
const ZAPIER_LIMITS = {
  maxTemplateBytes: Number.POSITIVE_INFINITY,
  maxPlaceholders: Number.POSITIVE_INFINITY,
  maxDepth: 2,
  maxContentTypeLength: 200,
  maxOutputBytes: 1_048_576,
};

/**
 * The template a ready-made format amounts to (a fresh copy, safe to change). The Zapier
 * template lists the fields of `options.event`, so it depends on the event; without one it
 * lists the envelope fields every event has.
 *
 * @example
 * presetTemplate('google_sheets');
 * // { body: { token: '{{$secret}}', row: ['{{$time}}', '{{$label}}', '{{user_id}}', '{{$details}}', '{{id}}'] } }
 */
export function presetTemplate(format: PresetFormat, options: { event?: unknown } = {}): TemplateDefinition {
  if (format === 'zapier') return zapierTemplate(options.event);
  return structuredClone(FIXED[format].definition);
}

/**
 * Renders a ready-made format for one event: exactly `renderTemplate(presetTemplate(format,
 * {event}), event, inputs)`. Give `inputs.secret` for `google_sheets`.
 *
 * @example
 * renderPreset('slack', event);
 * // { ok: true, contentType: 'application/json', body: '{"text":"NPS Score — NPS Survey · score 10","blocks":[...]}' }
 */
export function renderPreset(format: PresetFormat, event: unknown, inputs: RenderInputs = {}): RenderResult {
  if (format !== 'zapier') return renderTemplate(FIXED[format], event, inputs);
  const parsed = parseTemplate(zapierTemplate(event), ZAPIER_LIMITS);
  if (!parsed.ok)
    return { ok: false, error: `The Zapier body cannot be built: ${parsed.problems[0]?.message}` };
  return renderTemplate(parsed.template, event, inputs);
}

function zapierTemplate(event: unknown): TemplateDefinition {
  const body: Record<string, string> = {};
  if (event === undefined) {
    for (const field of ENVELOPE_FIELDS) body[field] = `{{${field}}}`;
  } else if (isPlainObject(event)) {
    flatten(event, [], body);
  }
  return { body };
}

/**
 * Adds one `"a.b.c": "{{a.b.c}}"` entry per leaf. An object or array is a leaf when it is
 * empty, when descending would pass the path bounds, or when one of its keys cannot be
 * written in a path (a dot, a brace, `|`, whitespace); then it is sent whole under its own
 * key. A top-level field that cannot be written in a path (or would read as a `$` variable)
 * is left out.
 */
function flatten(
  value: Record<string, unknown> | readonly unknown[],
  path: readonly string[],
  out: Record<string, string>,
): void {
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value);
  for (const [key, item] of entries) {
    const itemPath = [...path, key];
    const joined = itemPath.join('.');
    if (
      !isWritableKey(key) ||
      (path.length === 0 && (key.startsWith('$') || joined.length > FILTER_LIMITS.maxPathLength))
    ) {
      continue;
    }
    if (descendable(item, itemPath)) {
      flatten(item as Record<string, unknown> | readonly unknown[], itemPath, out);
    } else {
      defineEntry(out, joined, `{{${joined}}}`);
    }
  }
}

function descendable(value: unknown, path: readonly string[]): boolean {
  const container = Array.isArray(value) ? value : isPlainObject(value) ? Object.keys(value) : undefined;
  if (container === undefined || container.length === 0) return false;
  if (path.length + 1 > FILTER_LIMITS.maxPathSegments) return false;
  if (isPlainObject(value)) {
    const prefix = path.join('.').length + 1;
    return Object.keys(value).every(
      (key) => isWritableKey(key) && prefix + key.length <= FILTER_LIMITS.maxPathLength,
    );
  }
  return path.join('.').length + 1 + String(container.length).length <= FILTER_LIMITS.maxPathLength;
}

function isWritableKey(key: string): boolean {
  if (key.length === 0) return false;
  for (let i = 0; i < key.length; i++) {
    const char = key[i];
    if (
      char === '.' ||
      char === '{' ||
      char === '}' ||
      char === '|' ||
      char === ' ' ||
      char === '\t' ||
      char === '\n' ||
      char === '\r'
    ) {
      return false;
    }
  }
  return true;
}

/** A plain own property even for `__proto__`. */
function defineEntry(out: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

function mustParse(definition: TemplateDefinition): Template {
  const parsed = parseTemplate(definition);
  if (!parsed.ok) throw new Error(`a preset template is invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.template;
}
