/**
 * Payload templates (`format: "template"`): a JSON body with `{{path}}` placeholders that
 * take their values from the event, and nothing else (no loops, no conditions, no code).
 *
 * A template as a user writes it: `{"body": <any JSON>, "content_type"?: string,
 * "escape"?: "none" | "slack"}`.
 *
 * ## Placeholders
 * - `{{user_id}}`, `{{attributes.flowName}}`, `{{context.url}}`: a dot-notation path into the
 *   event (as the `appcues` format delivers it; a numeric segment indexes an array).
 * - A JSON string that is exactly one placeholder, `"{{attributes.score}}"`, becomes the value
 *   with its JSON type (`10`, not `"10"`; objects and arrays too). Inside a longer string
 *   (`"Score: {{attributes.score}}"`) a string value is inserted as is and any other value as
 *   its JSON text.
 * - `{{attributes.feedback | "no comment"}}`: a default, a JSON string, number, `true`,
 *   `false` or `null`, used when the path is missing or its value is `null`. A missing path
 *   without a default makes the render fail with an error naming the path.
 * - Variables, computed from the event (or given to the renderer), start with `$`: see
 *   {@link TEMPLATE_VARIABLES}.
 * - Placeholders are recognised in string values only, never in keys. `{{` always opens a
 *   placeholder. Inserted values are data: a value containing `{{` is not expanded again.
 * - `escape: "slack"` escapes `&`, `<` and `>` in inserted strings, as Slack's mrkdwn requires,
 *   so that an end user's text cannot mention `<!channel>` or forge a link.
 *
 * ## The body sent
 * The rendered body as JSON, with `content_type` (default `application/json`). When the
 * content type is not JSON (neither `application/json` nor `...+json`) and the body is a
 * string, that string is sent as it is, e.g. `text/plain` with `"Score {{attributes.score}}"`
 * sends `Score 10`. Values are never URL- or HTML-encoded.
 *
 * @example
 * const parsed = parseTemplate({
 *   body: { user: '{{user_id}}', score: '{{attributes.score}}', text: 'Score {{attributes.score}}: {{attributes.feedback | "no comment"}}' },
 * });
 * if (parsed.ok) renderTemplate(parsed.template, { user_id: 'u1', attributes: { score: 3 } });
 * // { ok: true, contentType: 'application/json', body: '{"user":"u1","score":3,"text":"Score 3: no comment"}' }
 *
 * @module
 */
import { recognise } from './catalog.ts';
import { isPlainObject, jsonPointer } from './json.ts';
import { type JsonValue, lookup, parsePath } from './payload-filter.ts';

/** The bounds of a template. */
export const TEMPLATE_LIMITS = Object.freeze({
  /** Bytes of the template's `body` as JSON. */
  maxTemplateBytes: 16_384,
  /** Placeholders in the whole template. */
  maxPlaceholders: 256,
  /** Nesting of objects and arrays in the body. */
  maxDepth: 16,
  /** Characters of `content_type`. */
  maxContentTypeLength: 200,
  /** Bytes of a rendered body; a larger one fails to render. */
  maxOutputBytes: 1_048_576,
});

export type TemplateLimits = { readonly [K in keyof typeof TEMPLATE_LIMITS]: number };

/**
 * The variables a placeholder may name besides event paths:
 * - `$type`: the catalog type id (`nps_score`), or the event's `name` for a custom event.
 * - `$label`: the catalog label (`NPS Score`), or the event's `name`.
 * - `$details`: the event's human-readable attributes, joined with ` · ` (e.g.
 *   `NPS Survey · score 3 · "too slow"`); empty when it has none. See {@link DETAIL_ATTRIBUTES}.
 * - `$summary`: `$label — $details`, or `$label` alone when there are no details.
 * - `$time`: the event's `timestamp` as ISO 8601 UTC (`2023-05-18T19:48:36.293Z`).
 * - `$secret`: the webhook's secret, given to the renderer (never read from the event); for
 *   receivers that cannot read headers, such as Google Apps Script.
 */
export const TEMPLATE_VARIABLES = ['$type', '$label', '$details', '$summary', '$time', '$secret'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/**
 * The attributes `$details` shows, in this order, and how: names as they are, the rest with
 * a word before them or in quotes.
 */
export const DETAIL_ATTRIBUTES: readonly (readonly [key: string, show: (text: string) => string])[] = [
  ['flowName', (text) => text],
  ['experienceName', (text) => text],
  ['checklistName', (text) => text],
  ['itemLabel', (text) => text],
  ['score', (text) => `score ${text}`],
  ['feedback', (text) => `"${text}"`],
  ['tag', (text) => `tag ${text}`],
  // Hooklane's operational events (catalog.ts OPERATIONAL_EVENT_TYPES).
  ['webhookName', (text) => text],
  ['webhookUrl', (text) => text],
  ['reason', (text) => `reason ${text}`],
  ['lastStatus', (text) => `last status ${text}`],
];

export const TEMPLATE_ESCAPES = ['none', 'slack'] as const;
export type TemplateEscape = (typeof TEMPLATE_ESCAPES)[number];

export const DEFAULT_CONTENT_TYPE = 'application/json';

/** A template as a user writes it (the JSON of `template` on a webhook). */
export interface TemplateDefinition {
  readonly body: JsonValue;
  readonly content_type?: string;
  readonly escape?: TemplateEscape;
}

/** A placeholder, parsed. */
export interface Placeholder {
  /** As written between the braces, for error messages. */
  readonly source: string;
  readonly target: { readonly path: readonly string[] } | { readonly variable: TemplateVariable };
  /** Present when a default was given. */
  readonly fallback?: { readonly value: string | number | boolean | null };
}

/** A parsed piece of a template body. */
export type TemplateNode =
  | { readonly kind: 'literal'; readonly value: JsonValue }
  | { readonly kind: 'whole'; readonly placeholder: Placeholder }
  | { readonly kind: 'text'; readonly parts: readonly (string | Placeholder)[] }
  | { readonly kind: 'array'; readonly items: readonly TemplateNode[] }
  | { readonly kind: 'object'; readonly entries: readonly (readonly [string, TemplateNode])[] };

/** A parsed template: what {@link renderTemplate} renders. Build it with {@link parseTemplate}. */
export interface Template {
  readonly definition: TemplateDefinition;
  readonly contentType: string;
  readonly escape: TemplateEscape;
  readonly root: TemplateNode;
}

/** One reason a template is refused. */
export interface TemplateProblem {
  /** JSON pointer into the template, e.g. `/body/blocks/0/text`. */
  readonly path: string;
  readonly message: string;
}

export type TemplateParse =
  | { readonly ok: true; readonly template: Template }
  | { readonly ok: false; readonly problems: TemplateProblem[] };

/** What the renderer is given besides the event. */
export interface RenderInputs {
  /** The webhook's secret, for `{{$secret}}`; absent or null when the webhook has none. */
  readonly secret?: string | null;
  /** Overrides {@link TEMPLATE_LIMITS}`.maxOutputBytes`. */
  readonly maxOutputBytes?: number;
}

export type RenderResult =
  | { readonly ok: true; readonly body: string; readonly contentType: string }
  | { readonly ok: false; readonly error: string };

/**
 * Validates a template as a user wrote it (any JSON value) and parses it. Never throws; each
 * problem names the JSON pointer of the bad part and the placeholder at fault.
 *
 * @example
 * parseTemplate({ body: { text: '{{attributes.score | }}' } });
 * // { ok: false, problems: [{ path: '/body/text', message: '`{{attributes.score | }}`: the default after `|` must be ...' }] }
 */
export function parseTemplate(value: unknown, limits: TemplateLimits = TEMPLATE_LIMITS): TemplateParse {
  const problems: TemplateProblem[] = [];
  if (!isPlainObject(value)) {
    return {
      ok: false,
      problems: [{ path: '', message: 'A template is an object: {"body": ..., "content_type"?: ...}.' }],
    };
  }
  for (const key of Object.keys(value)) {
    if (key !== 'body' && key !== 'content_type' && key !== 'escape') {
      problems.push({
        path: jsonPointer([key]),
        message: `\`${key}\` is not a template field; the fields are body, content_type and escape.`,
      });
    }
  }
  const contentType = checkContentType(value.content_type, limits, problems);
  const escaping = value.escape ?? 'none';
  if (!(TEMPLATE_ESCAPES as readonly unknown[]).includes(escaping)) {
    problems.push({ path: '/escape', message: '`escape` is "none" or "slack".' });
  }
  let root: TemplateNode | undefined;
  if (value.body === undefined) {
    problems.push({
      path: '/body',
      message: 'A template needs a `body`: the JSON to send, with {{path}} placeholders.',
    });
  } else if (checkShape(value.body, ['body'], 0, limits, problems)) {
    const size = Buffer.byteLength(JSON.stringify(value.body));
    if (size > limits.maxTemplateBytes) {
      problems.push({
        path: '/body',
        message: `The body is ${size} bytes as JSON; a template's body has at most ${limits.maxTemplateBytes}.`,
      });
    } else {
      const parser = new BodyParser(limits, problems);
      root = parser.node(value.body as JsonValue, ['body']);
    }
  }
  if (problems.length > 0 || root === undefined) return { ok: false, problems };
  const definition: TemplateDefinition = {
    body: value.body as JsonValue,
    ...(value.content_type === undefined ? {} : { content_type: contentType }),
    ...(value.escape === undefined ? {} : { escape: escaping as TemplateEscape }),
  };
  return { ok: true, template: { definition, contentType, escape: escaping as TemplateEscape, root } };
}

/**
 * Renders a template for one event. Never throws: a placeholder that cannot be filled, or a
 * body beyond the size bound, is an error naming the cause, for the delivery's attempt.
 *
 * @example
 * const parsed = parseTemplate({ body: { token: '{{$secret}}', row: ['{{$time}}', '{{user_id}}'] } });
 * if (parsed.ok) renderTemplate(parsed.template, event, { secret: 'whsec_...' });
 */
export function renderTemplate(template: Template, event: unknown, inputs: RenderInputs = {}): RenderResult {
  const maxBytes = inputs.maxOutputBytes ?? TEMPLATE_LIMITS.maxOutputBytes;
  const renderer = new Renderer(event, inputs, template.escape, maxBytes);
  try {
    const value = renderer.node(template.root);
    const body =
      typeof value === 'string' && !isJsonMediaType(template.contentType) ? value : JSON.stringify(value);
    const size = Buffer.byteLength(body);
    if (size > maxBytes) return { ok: false, error: tooLarge(size, maxBytes) };
    return { ok: true, body, contentType: template.contentType };
  } catch (error) {
    if (error instanceof RenderError) return { ok: false, error: error.message };
    throw error;
  }
}

/** Whether a template sends the webhook's secret: a placeholder names `{{$secret}}`, anywhere. */
export function templateUsesSecret(template: Template): boolean {
  const isSecret = (placeholder: Placeholder): boolean =>
    'variable' in placeholder.target && placeholder.target.variable === '$secret';
  const uses = (node: TemplateNode): boolean => {
    switch (node.kind) {
      case 'literal':
        return false;
      case 'whole':
        return isSecret(node.placeholder);
      case 'text':
        return node.parts.some((part) => typeof part !== 'string' && isSecret(part));
      case 'array':
        return node.items.some(uses);
      case 'object':
        return node.entries.some(([, value]) => uses(value));
    }
  };
  return uses(template.root);
}

// ---------------------------------------------------------------------------------------------
// Parsing.

const VARIABLE_SET: ReadonlySet<string> = new Set(TEMPLATE_VARIABLES);

function checkContentType(value: unknown, limits: TemplateLimits, problems: TemplateProblem[]): string {
  if (value === undefined) return DEFAULT_CONTENT_TYPE;
  const fail = (message: string) => {
    problems.push({ path: '/content_type', message });
    return DEFAULT_CONTENT_TYPE;
  };
  if (typeof value !== 'string') return fail('`content_type` is a string such as "application/json".');
  if (value.length === 0 || value.length > limits.maxContentTypeLength) {
    return fail(`\`content_type\` has 1 to ${limits.maxContentTypeLength} characters.`);
  }
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    // Printable ASCII only: the value becomes a request header.
    if (code < 0x20 || code > 0x7e) return fail('`content_type` has printable ASCII characters only.');
  }
  const slash = value.indexOf('/');
  const semicolon = value.indexOf(';');
  if (slash <= 0 || (semicolon !== -1 && semicolon < slash) || slash === value.length - 1) {
    return fail('`content_type` is a media type such as "application/json" or "text/plain; charset=utf-8".');
  }
  return value;
}

/** Checks that the body is JSON within the depth bound before anything recurses further into it. */
function checkShape(
  value: unknown,
  at: readonly (string | number)[],
  depth: number,
  limits: TemplateLimits,
  problems: TemplateProblem[],
): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return true;
    problems.push({ path: jsonPointer(at), message: 'Numbers in a template are finite.' });
    return false;
  }
  if (Array.isArray(value) || isPlainObject(value)) {
    if (depth >= limits.maxDepth) {
      problems.push({
        path: jsonPointer(at),
        message: `The body nests objects and arrays more than ${limits.maxDepth} levels deep.`,
      });
      return false;
    }
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((item, index) => [index, item])
      : Object.entries(value);
    for (const [key, item] of entries) {
      if (!checkShape(item, [...at, key], depth + 1, limits, problems)) return false;
    }
    return true;
  }
  problems.push({ path: jsonPointer(at), message: 'A template body is JSON.' });
  return false;
}

class BodyParser {
  readonly #limits: TemplateLimits;
  readonly #problems: TemplateProblem[];
  #placeholders = 0;

  constructor(limits: TemplateLimits, problems: TemplateProblem[]) {
    this.#limits = limits;
    this.#problems = problems;
  }

  node(value: JsonValue, at: readonly (string | number)[]): TemplateNode {
    if (typeof value === 'string') return this.#text(value, at);
    if (Array.isArray(value)) {
      const items = value.map((item, index) => this.node(item, [...at, index]));
      return items.every((item) => item.kind === 'literal')
        ? { kind: 'literal', value }
        : { kind: 'array', items };
    }
    if (isPlainObject(value)) {
      const entries: (readonly [string, TemplateNode])[] = [];
      for (const [key, item] of Object.entries(value)) {
        if (key.includes('{{')) {
          this.#problem([...at, key], `Placeholders work in values, not in keys: \`${key}\`.`);
        }
        entries.push([key, this.node(item as JsonValue, [...at, key])]);
      }
      return entries.every(([, item]) => item.kind === 'literal')
        ? { kind: 'literal', value }
        : { kind: 'object', entries };
    }
    return { kind: 'literal', value };
  }

  #text(text: string, at: readonly (string | number)[]): TemplateNode {
    const parts: (string | Placeholder)[] = [];
    let index = 0;
    while (index < text.length) {
      const open = text.indexOf('{{', index);
      if (open === -1) {
        parts.push(text.slice(index));
        break;
      }
      if (open > index) parts.push(text.slice(index, open));
      const scanned = scanPlaceholder(text, open);
      if (!scanned.ok) {
        this.#problem(at, scanned.message);
        return { kind: 'literal', value: text };
      }
      this.#placeholders += 1;
      if (this.#placeholders === this.#limits.maxPlaceholders + 1) {
        this.#problem(at, `A template has at most ${this.#limits.maxPlaceholders} placeholders.`);
      }
      parts.push(scanned.placeholder);
      index = scanned.end;
    }
    if (parts.length === 1 && typeof parts[0] !== 'string' && parts[0] !== undefined) {
      return { kind: 'whole', placeholder: parts[0] };
    }
    return parts.some((part) => typeof part !== 'string')
      ? { kind: 'text', parts }
      : { kind: 'literal', value: text };
  }

  #problem(at: readonly (string | number)[], message: string): void {
    this.#problems.push({ path: jsonPointer(at), message });
  }
}

type Scan =
  | { readonly ok: true; readonly placeholder: Placeholder; readonly end: number }
  | { readonly ok: false; readonly message: string };

/**
 * Reads the placeholder opening at `open` (at its `{{`) with a hand-written scanner:
 * `{{ path }}` or `{{ path | default }}`, where the default is a JSON scalar.
 */
function scanPlaceholder(text: string, open: number): Scan {
  const close = text.indexOf('}}', open + 2);
  const shown = close === -1 ? text.slice(open, open + 40) : text.slice(open, close + 2);
  const fail = (reason: string): Scan => ({ ok: false, message: `\`${shown}\`: ${reason}` });
  let index = skipSpaces(text, open + 2);
  const pathStart = index;
  while (index < text.length && !isPathEnd(text.charCodeAt(index))) index += 1;
  const source = text.slice(pathStart, index);
  index = skipSpaces(text, index);
  if (source.length === 0)
    return fail('a placeholder names a path, e.g. {{user_id}} or {{attributes.flowName}}.');
  let target: Placeholder['target'];
  if (source.startsWith('$')) {
    if (!VARIABLE_SET.has(source)) {
      return fail(`\`${source}\` is not a variable; the variables are ${TEMPLATE_VARIABLES.join(' ')}.`);
    }
    target = { variable: source as TemplateVariable };
  } else {
    const parsed = parsePath(source);
    if (!parsed.ok) return fail(parsed.message);
    target = { path: parsed.path };
  }
  let fallback: Placeholder['fallback'];
  if (text[index] === '|') {
    index = skipSpaces(text, index + 1);
    const literalStart = index;
    if (text[index] === '"') {
      index += 1;
      while (index < text.length && text[index] !== '"') index += text[index] === '\\' ? 2 : 1;
      index += 1;
    } else {
      while (index < text.length && !isPathEnd(text.charCodeAt(index))) index += 1;
    }
    const literal = parseScalar(text.slice(literalStart, Math.min(index, text.length)));
    if (literal === undefined) {
      return fail(
        'the default after `|` must be a JSON string, number, true, false or null, e.g. {{attributes.feedback | "no comment"}}.',
      );
    }
    fallback = { value: literal.value };
    index = skipSpaces(text, index);
  }
  if (!text.startsWith('}}', index)) {
    return fail(
      close === -1
        ? 'the placeholder is not closed by `}}`.'
        : 'a placeholder is a path, optionally `| default`, and nothing else.',
    );
  }
  const placeholder: Placeholder = fallback === undefined ? { source, target } : { source, target, fallback };
  return { ok: true, placeholder, end: index + 2 };
}

/** Whitespace, `|`, `{` and `}` end a path or an unquoted default. */
function isPathEnd(code: number): boolean {
  return (
    code === 0x20 ||
    code === 0x09 ||
    code === 0x0a ||
    code === 0x0d ||
    code === 0x7c ||
    code === 0x7b ||
    code === 0x7d
  );
}

function skipSpaces(text: string, index: number): number {
  let at = index;
  while (
    at < text.length &&
    (text[at] === ' ' || text[at] === '\t' || text[at] === '\n' || text[at] === '\r')
  )
    at += 1;
  return at;
}

function parseScalar(text: string): { value: string | number | boolean | null } | undefined {
  if (text.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return { value };
    if (typeof value === 'number' && Number.isFinite(value)) return { value };
  } catch {
    // Not JSON: reported by the caller.
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Rendering.

class RenderError extends Error {}

class Renderer {
  readonly #event: unknown;
  readonly #inputs: RenderInputs;
  readonly #escape: TemplateEscape;
  readonly #maxBytes: number;
  /** A running estimate of the output size, so an oversized body stops early. */
  #bytes = 0;

  constructor(event: unknown, inputs: RenderInputs, escaping: TemplateEscape, maxBytes: number) {
    this.#event = event;
    this.#inputs = inputs;
    this.#escape = escaping;
    this.#maxBytes = maxBytes;
  }

  node(node: TemplateNode): unknown {
    switch (node.kind) {
      case 'literal':
        return node.value;
      case 'whole': {
        const value = this.#value(node.placeholder);
        const escaped = typeof value === 'string' ? this.#escaped(value) : value;
        this.#add(typeof escaped === 'string' ? escaped.length : JSON.stringify(escaped).length);
        return escaped;
      }
      case 'text': {
        let text = '';
        for (const part of node.parts) {
          text += typeof part === 'string' ? part : this.#escaped(stringify(this.#value(part)));
          this.#check(text.length);
        }
        this.#add(text.length);
        return text;
      }
      case 'array':
        return node.items.map((item) => this.node(item));
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const [key, item] of node.entries) {
          // defineProperty, so that a key such as `__proto__` stays a plain key.
          Object.defineProperty(out, key, {
            value: this.node(item),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      }
    }
  }

  #value(placeholder: Placeholder): unknown {
    const { target, fallback } = placeholder;
    const found = 'path' in target ? lookup(this.#event, target.path) : this.#variable(target.variable);
    if (found !== undefined && found.value !== null) return found.value;
    if (fallback !== undefined) return fallback.value;
    if (found !== undefined) return null;
    if ('variable' in target && target.variable === '$secret') {
      throw new RenderError('The template uses {{$secret}}, and this webhook has no secret.');
    }
    throw new RenderError(
      `The template needs \`${placeholder.source}\`, which this event does not have; give it a default, e.g. {{${placeholder.source} | null}}.`,
    );
  }

  #variable(variable: TemplateVariable): { value: unknown } | undefined {
    const event = isPlainObject(this.#event) ? this.#event : {};
    const name = typeof event.name === 'string' ? event.name : undefined;
    switch (variable) {
      case '$type':
      case '$label': {
        if (name === undefined) return undefined;
        const type = recognise({ name, attributes: event.attributes });
        if (type === undefined) return { value: name };
        return { value: variable === '$type' ? type.id : type.label };
      }
      case '$details':
        return { value: details(event.attributes) };
      case '$summary': {
        const label = this.#variable('$label');
        if (label === undefined) return undefined;
        const more = details(event.attributes);
        return { value: more === '' ? label.value : `${label.value} — ${more}` };
      }
      case '$time': {
        const time = event.timestamp;
        if (typeof time !== 'number') return undefined;
        const date = new Date(time);
        return Number.isNaN(date.getTime()) ? undefined : { value: date.toISOString() };
      }
      case '$secret': {
        const secret = this.#inputs.secret;
        return typeof secret === 'string' && secret !== '' ? { value: secret } : undefined;
      }
    }
  }

  #escaped(text: string): string {
    if (this.#escape !== 'slack') return text;
    return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  }

  /** Adds an inserted value's size to the running estimate. */
  #add(size: number): void {
    this.#bytes += size;
    this.#check(0);
  }

  /** Stops once the estimate, plus a string still being built, is beyond the bound. */
  #check(pending: number): void {
    if (this.#bytes + pending > this.#maxBytes) {
      throw new RenderError(tooLarge(this.#bytes + pending, this.#maxBytes));
    }
  }
}

/** `$details`: the listed attributes that hold a non-empty scalar, shown and joined. */
function details(attributes: unknown): string {
  if (!isPlainObject(attributes)) return '';
  const shown: string[] = [];
  for (const [key, show] of DETAIL_ATTRIBUTES) {
    if (!Object.hasOwn(attributes, key)) continue;
    const value = attributes[key];
    if (typeof value === 'string' ? value !== '' : typeof value === 'number' || typeof value === 'boolean') {
      shown.push(show(String(value)));
    }
  }
  return shown.join(' · ');
}

/** A value inside a longer string: a string as is, anything else as its JSON text. */
function stringify(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `application/json` or a `+json` type, whatever the parameters and case. */
function isJsonMediaType(contentType: string): boolean {
  const semicolon = contentType.indexOf(';');
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return essence === 'application/json' || essence.endsWith('+json');
}

function tooLarge(size: number, max: number): string {
  return `The rendered body is larger than ${max} bytes (at least ${size}).`;
}
