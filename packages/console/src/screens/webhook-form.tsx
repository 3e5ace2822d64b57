import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  ApiError,
  api,
  type EventType,
  type LatestEvent,
  type PreviewItem,
  type Webhook,
  type WebhookTemplate,
} from '../api.ts';
import { groupBySource, loadEventTypes } from '../event-types.ts';
import { Link, navigate } from '../router.tsx';
import { accountPath, isKeyAdmin } from '../session.ts';
import { Badge, Body, ErrorNote, Field, Loadable, useAction, useLoad } from '../ui.tsx';

type SecretMode = 'generate' | 'paste' | 'none';
type FieldName =
  | 'name'
  | 'url'
  | 'events'
  | 'content_ids'
  | 'format'
  | 'batch_window_ms'
  | 'headers'
  | 'secret'
  | 'match'
  | 'template'
  | 'content_type';

interface Draft {
  name: string;
  url: string;
  all: boolean;
  types: string[];
  custom: string;
  contentIds: string;
  format: string;
  /** The payload filter and the template body, as JSON text. */
  match: string;
  templateBody: string;
  contentType: string;
  batchWindowMs: string;
  headers: { name: string; value: string }[];
  secretMode: SecretMode;
  secret: string;
  enabled: boolean;
}

const list = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((part) => part.trim())
    .filter(Boolean);

function draftOf(webhook: Webhook | undefined, types: EventType[]): Draft {
  const known = new Set(types.map((type) => type.id));
  const events = webhook?.events ?? [];
  return {
    name: webhook?.name ?? '',
    url: webhook?.url ?? '',
    all: events.includes('*'),
    types: events.filter((name) => known.has(name)),
    custom: events.filter((name) => name !== '*' && !known.has(name)).join(', '),
    contentIds: webhook?.filters.content_ids?.join(', ') ?? '',
    format: webhook?.format ?? 'appcues',
    match: webhook?.filters.match === undefined ? '' : JSON.stringify(webhook.filters.match, null, 2),
    templateBody: webhook?.template ? JSON.stringify(webhook.template.body, null, 2) : '',
    contentType: webhook?.template?.content_type ?? '',
    batchWindowMs: String(webhook?.batch_window_ms ?? 0),
    headers: Object.entries(webhook?.headers ?? {}).map(([name, value]) => ({ name, value })),
    secretMode: 'generate',
    secret: '',
    enabled: webhook?.enabled ?? true,
  };
}

/**
 * Which field an API error is about: validation errors carry `details: [{path: "body/url"}]`,
 * the service's own checks `details: {field: "url"}`.
 */
function fieldErrors(error: unknown): Partial<Record<FieldName, string>> {
  if (!(error instanceof ApiError)) return {};
  const out: Partial<Record<FieldName, string>> = {};
  const details = Array.isArray(error.details) ? error.details : error.details ? [error.details] : [];
  for (const detail of details as { path?: string; field?: string; message?: string }[]) {
    const where = detail.field ?? detail.path?.replace(/^body\/?/, '') ?? '';
    const [top = '', second = ''] = where.split(/[/.]/);
    const field: FieldName | undefined =
      top === 'filters'
        ? second === 'match'
          ? 'match'
          : 'content_ids'
        : top === 'template'
          ? second === 'content_type'
            ? 'content_type'
            : 'template'
          : (['name', 'url', 'events', 'format', 'batch_window_ms', 'headers', 'secret'] as const).find(
              (name) => name === top,
            );
    // A filter's or template's details say which path and operator is at fault: more than the message.
    const specific = field === 'match' || field === 'template' || field === 'content_type';
    if (field && !out[field]) out[field] = (specific && detail.message) || error.message;
  }
  return out;
}

/** A content id seen in the account's latest events, with its name and kind when the event carried them. */
interface SeenContent {
  id: string;
  name: string | null;
  kind: string | null;
  count: number;
}

/**
 * The content ids of the account's latest events (GET /events), most frequent first. The
 * name sits beside the id in the attributes: `flowId` and `flowName`, `checklistId` and
 * `checklistName`, `experienceId` and `experienceName`...
 */
export async function loadSeenContent(): Promise<SeenContent[]> {
  const page = await api<{ data: LatestEvent[] }>('GET', accountPath('/events?limit=250'));
  const seen = new Map<string, SeenContent>();
  for (const { content_id: id, event } of page.data) {
    if (!id) continue;
    const known = seen.get(id);
    if (known) {
      known.count++;
      continue;
    }
    const attributes = (event as { attributes?: Record<string, unknown> } | null)?.attributes ?? {};
    const idKey = Object.keys(attributes).find((key) => key.endsWith('Id') && attributes[key] === id);
    const kind = idKey ? idKey.slice(0, -2) : null;
    const name = kind ? attributes[`${kind}Name`] : undefined;
    seen.set(id, { id, name: typeof name === 'string' ? name : null, kind, count: 1 });
  }
  return [...seen.values()].sort(
    (a, b) => b.count - a.count || (a.name ?? a.id).localeCompare(b.name ?? b.id),
  );
}

function ContentPicker({
  draft,
  set,
  error,
}: {
  draft: Draft;
  set: (patch: Partial<Draft>) => void;
  error?: string | undefined;
}) {
  const seen = useLoad(loadSeenContent, []);
  const chosen = list(draft.contentIds);
  const toggle = (id: string, on: boolean) =>
    set({ contentIds: (on ? [...chosen, id] : chosen.filter((c) => c !== id)).join(', ') });
  return (
    <fieldset class={`content-picker${error ? ' has-error' : ''}`}>
      <legend>Content filter</legend>
      {seen.data && seen.data.length > 0 ? (
        <fieldset class="event-group">
          <legend>Seen in this account's latest events</legend>
          <div class="checks">
            {seen.data.map((content) => (
              <label class="check" key={content.id}>
                <input
                  type="checkbox"
                  name="content-id"
                  value={content.id}
                  checked={chosen.includes(content.id)}
                  onChange={(e) => toggle(content.id, e.currentTarget.checked)}
                />
                {content.name ?? content.id}
                {content.kind ? <span class="muted small-text"> {content.kind}</span> : null}{' '}
                <code class="muted small-text">{content.id}</code>
              </label>
            ))}
          </div>
        </fieldset>
      ) : seen.data ? (
        <p class="hint">No flow, checklist or experience id in this account's latest events yet.</p>
      ) : null}
      <Field
        label="Only events about these content ids"
        hint="Flow, checklist, experience or tour ids, separated by commas; the boxes above fill this in. Empty: every event of the chosen types."
        error={error}
      >
        {(props) => (
          <input
            {...props}
            value={draft.contentIds}
            onInput={(e) => set({ contentIds: e.currentTarget.value })}
          />
        )}
      </Field>
    </fieldset>
  );
}

function EventPicker({
  draft,
  types,
  set,
  error,
}: {
  draft: Draft;
  types: EventType[];
  set: (patch: Partial<Draft>) => void;
  error?: string | undefined;
}) {
  const toggle = (id: string, on: boolean) =>
    set({ types: on ? [...draft.types, id] : draft.types.filter((type) => type !== id) });
  return (
    <fieldset
      class={`events${error ? ' has-error' : ''}`}
      aria-describedby={error ? 'events-error' : undefined}
    >
      <legend>Events</legend>
      <label class="check">
        <input type="checkbox" checked={draft.all} onChange={(e) => set({ all: e.currentTarget.checked })} />
        All events, including custom ones
      </label>
      {groupBySource(types).map(([group, members]) => (
        <fieldset key={group} class="event-group" disabled={draft.all}>
          <legend>{group}</legend>
          <div class="checks">
            {members.map((type) => (
              <label class="check" key={type.id} title={type.description}>
                <input
                  type="checkbox"
                  name="event-type"
                  value={type.id}
                  checked={draft.all || draft.types.includes(type.id)}
                  onChange={(e) => toggle(type.id, e.currentTarget.checked)}
                />
                {type.label}
              </label>
            ))}
          </div>
        </fieldset>
      ))}
      <Field label="Custom event names" hint="Other event names, exactly as sent, separated by commas.">
        {(props) => (
          <input
            {...props}
            disabled={draft.all}
            value={draft.custom}
            onInput={(e) => set({ custom: e.currentTarget.value })}
          />
        )}
      </Field>
      {error ? (
        <p class="field-error" id="events-error">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

function HeadersEditor({
  headers,
  set,
  error,
}: {
  headers: Draft['headers'];
  set: (headers: Draft['headers']) => void;
  error?: string | undefined;
}) {
  const update = (i: number, patch: Partial<{ name: string; value: string }>) =>
    set(headers.map((header, j) => (i === j ? { ...header, ...patch } : header)));
  return (
    <fieldset class={error ? 'has-error' : ''} aria-describedby={error ? 'headers-error' : undefined}>
      <legend>Static headers</legend>
      <p class="hint">Sent with every request, e.g. an authorization header your endpoint expects.</p>
      {headers.map((header, i) => (
        <div class="header-row" key={i}>
          <input
            aria-label={`Header ${i + 1} name`}
            placeholder="Name"
            value={header.name}
            onInput={(e) => update(i, { name: e.currentTarget.value })}
          />
          <input
            aria-label={`Header ${i + 1} value`}
            placeholder="Value"
            value={header.value}
            onInput={(e) => update(i, { value: e.currentTarget.value })}
          />
          <button
            type="button"
            class="secondary small"
            onClick={() => set(headers.filter((_, j) => j !== i))}
            aria-label={`Remove header ${i + 1}`}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        class="secondary small"
        onClick={() => set([...headers, { name: '', value: '' }])}
      >
        Add a header
      </button>
      {error ? (
        <p class="field-error" id="headers-error">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

const NPS_DETRACTORS = '{"name": "appcues:nps_score", "attributes.score": {"$lte": 6}}';

/** The formats the server offers: its own three, the ready-made destinations, and a template of your own. */
const FORMATS: [string, string][] = [
  ['appcues', 'Appcues (the event as sent)'],
  ['usetiful', 'Usetiful (batched per user)'],
  ['standard', 'Standard Webhooks envelope'],
  ['slack', 'Slack incoming webhook'],
  ['teams', 'Microsoft Teams workflow'],
  ['google_sheets', 'Google Sheets (Apps Script)'],
  ['zapier', 'Zapier catch hook'],
  ['template', 'A template of your own'],
];

type JsonErrors = Partial<Record<'match' | 'template', string>>;

/**
 * The filter and template of the draft as the API takes them, or what is not JSON in them:
 * caught here, so a typo is marked before anything is sent.
 */
function destinationOf(draft: Draft): {
  match: unknown;
  template: WebhookTemplate | undefined;
  errors: JsonErrors;
} {
  const errors: JsonErrors = {};
  const parse = (text: string, field: keyof JsonErrors): unknown => {
    try {
      return JSON.parse(text);
    } catch (failure) {
      errors[field] = `This is not valid JSON: ${(failure as Error).message}`;
      return undefined;
    }
  };
  const match = draft.match.trim() ? parse(draft.match, 'match') : undefined;
  let template: WebhookTemplate | undefined;
  if (draft.format === 'template') {
    if (!draft.templateBody.trim()) errors.template = 'A template needs a body: the JSON to send.';
    else {
      const body = parse(draft.templateBody, 'template');
      template = { body };
      if (draft.contentType.trim()) template.content_type = draft.contentType.trim();
    }
  }
  return { match, template, errors };
}

function JsonField({
  label,
  hint,
  error,
  value,
  placeholder,
  set,
}: {
  label: string;
  hint: ComponentChildren;
  error: string | undefined;
  value: string;
  placeholder?: string;
  set: (value: string) => void;
}) {
  return (
    <Field label={label} hint={hint} error={error}>
      {(props) => (
        <textarea
          {...props}
          class="json"
          rows={Math.min(14, Math.max(3, value.split('\n').length + 1))}
          spellcheck={false}
          placeholder={placeholder}
          value={value}
          onInput={(e) => set(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}

/** POST /webhooks/preview: the draft's bodies for the account's latest events, and which its filter lets through. */
function PreviewPanel({
  result,
  error,
}: {
  result: { template: unknown; data: PreviewItem[] } | null;
  error: unknown;
}) {
  if (error) return <ErrorNote error={error} />;
  if (!result) return null;
  const matching = result.data.filter((item) => item.matches).length;
  return (
    <section class="preview" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      <p role="status">
        {result.data.length === 0
          ? 'No events in this account yet: send one, then preview again.'
          : `${matching} of the latest ${result.data.length} events match the filter.`}
      </p>
      <ol class="preview-list">
        {result.data.map((item, i) => (
          <li key={item.event_id ?? i} class="preview-item">
            <p>
              <strong>{item.name ?? 'event'}</strong>{' '}
              {item.matches ? <Badge tone="ok">matches</Badge> : <Badge tone="muted">filtered out</Badge>}{' '}
              <code class="muted small-text">{item.event_id}</code>
            </p>
            {item.error ? (
              <p class="error-text">{item.error}</p>
            ) : (
              <Body text={item.body} label={`Body for ${item.name ?? 'event'} ${item.event_id ?? i + 1}`} />
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

function WebhookForm({ webhook, types }: { webhook?: Webhook; types: EventType[] }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(webhook, types));
  const save = useAction();
  const preview = useAction();
  const [previewed, setPreviewed] = useState<{ template: unknown; data: PreviewItem[] } | null>(null);
  const [jsonErrors, setJsonErrors] = useState<JsonErrors>({});
  const set = (patch: Partial<Draft>) => setDraft((old) => ({ ...old, ...patch }));
  // The save's errors win; the preview's show beside the same fields.
  const errors = { ...fieldErrors(preview.error), ...fieldErrors(save.error), ...jsonErrors };
  const creating = webhook === undefined;

  useEffect(() => {
    // Bring the first field with an error into view and focus, so it is not missed.
    if (save.error || jsonErrors.match || jsonErrors.template)
      document.querySelector<HTMLElement>('[aria-invalid="true"], .has-error input')?.focus();
  }, [save.error, jsonErrors]);

  const runPreview = async () => {
    const destination = destinationOf(draft);
    setJsonErrors(destination.errors);
    setPreviewed(null);
    // The last save's complaints may be about what is now fixed: the preview says anew.
    save.setError(null);
    if (Object.keys(destination.errors).length > 0) return;
    const body: Record<string, unknown> = { format: draft.format };
    if (destination.template) body.template = destination.template;
    if (destination.match !== undefined) body.filters = { match: destination.match };
    const result = await preview.run(() =>
      api<{ template: unknown; data: PreviewItem[] }>('POST', accountPath('/webhooks/preview'), body),
    );
    if (result) setPreviewed(result);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const events = draft.all ? ['*'] : [...draft.types, ...list(draft.custom)];
    const contentIds = list(draft.contentIds);
    const destination = destinationOf(draft);
    setJsonErrors(destination.errors);
    if (Object.keys(destination.errors).length > 0) return;
    const filters: Record<string, unknown> = { content_ids: contentIds.length > 0 ? contentIds : null };
    // On edit, an emptied filter is removed (null); on create, no filter is simply left out.
    if (destination.match !== undefined) filters.match = destination.match;
    else if (!creating && webhook.filters.match !== undefined) filters.match = null;
    const body: Record<string, unknown> = {
      name: draft.name.trim(),
      url: draft.url.trim(),
      events,
      filters,
      format: draft.format,
      headers: Object.fromEntries(
        draft.headers.filter((h) => h.name.trim()).map((h) => [h.name.trim(), h.value]),
      ),
      enabled: draft.enabled,
    };
    if (draft.format === 'usetiful') body.batch_window_ms = Number(draft.batchWindowMs) || 0;
    if (destination.template) body.template = destination.template;
    else if (!creating && webhook.template) body.template = null;
    if (creating) {
      if (draft.secretMode === 'none') body.secret = null;
      if (draft.secretMode === 'paste') body.secret = draft.secret;
    }
    const saved = await save.run(() =>
      creating
        ? api<Webhook>('POST', accountPath('/webhooks'), body)
        : api<Webhook>('PATCH', accountPath(`/webhooks/${webhook.id}`), body),
    );
    if (saved) navigate(`/webhooks/${saved.id}`);
  };

  const unplaced = save.error && Object.keys(fieldErrors(save.error)).length === 0;
  const misplacedPreview = preview.error && Object.keys(fieldErrors(preview.error)).length === 0;
  return (
    <form class="card form" onSubmit={submit} noValidate>
      <Field label="Name" error={errors.name}>
        {(props) => (
          <input
            {...props}
            required
            maxLength={200}
            value={draft.name}
            onInput={(e) => set({ name: e.currentTarget.value })}
          />
        )}
      </Field>
      <Field label="Endpoint URL" hint="Where Hooklane sends the events (http or https)." error={errors.url}>
        {(props) => (
          <input
            {...props}
            type="url"
            required
            placeholder="https://example.com/webhooks/hooklane"
            value={draft.url}
            onInput={(e) => set({ url: e.currentTarget.value })}
          />
        )}
      </Field>
      <EventPicker draft={draft} types={types} set={set} error={errors.events} />
      <ContentPicker draft={draft} set={set} error={errors.content_ids} />
      <div class="grid-2">
        <Field label="Payload format" error={errors.format}>
          {(props) => (
            <select {...props} value={draft.format} onChange={(e) => set({ format: e.currentTarget.value })}>
              {FORMATS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {draft.format === 'usetiful' ? (
          <Field
            label="Batch window (ms)"
            hint="0 to 10000; 0 sends each event alone."
            error={errors.batch_window_ms}
          >
            {(props) => (
              <input
                {...props}
                type="number"
                min={0}
                max={10000}
                value={draft.batchWindowMs}
                onInput={(e) => set({ batchWindowMs: e.currentTarget.value })}
              />
            )}
          </Field>
        ) : null}
        {draft.format === 'template' ? (
          <Field
            label="Content type (optional)"
            hint="application/json unless you say otherwise; with another type a string body is sent as it is."
            error={errors.content_type}
          >
            {(props) => (
              <input
                {...props}
                placeholder="application/json"
                value={draft.contentType}
                onInput={(e) => set({ contentType: e.currentTarget.value })}
              />
            )}
          </Field>
        ) : null}
      </div>
      {draft.format === 'template' ? (
        <JsonField
          label="Template body (JSON)"
          hint={
            <>
              The JSON to send; <code>{'{{attributes.score}}'}</code> takes a value from the event,{' '}
              <code>{'{{path | "default"}}'}</code> gives a default, <code>{'{{$summary}}'}</code> a readable
              line.
            </>
          }
          error={errors.template}
          value={draft.templateBody}
          placeholder={'{"text": "{{$summary}}", "score": "{{attributes.score}}"}'}
          set={(templateBody) => set({ templateBody })}
        />
      ) : null}
      <JsonField
        label="Payload filter"
        hint={
          <>
            Optional JSON condition over the event; only matching events are sent. NPS detractors:{' '}
            <code>{NPS_DETRACTORS}</code>
          </>
        }
        error={errors.match}
        value={draft.match}
        placeholder={NPS_DETRACTORS}
        set={(match) => set({ match })}
      />
      {/* API keys only: the preview is not among the routes a portal session may call. */}
      {isKeyAdmin.value ? (
        <div class="preview-block">
          <button type="button" class="secondary" onClick={runPreview} disabled={preview.busy}>
            {preview.busy ? 'Previewing…' : 'Preview'}
          </button>
          <span class="hint">
            {' '}
            Renders the format and filter above for this account's latest events; nothing is saved.
          </span>
          {misplacedPreview ? <PreviewPanel result={null} error={preview.error} /> : null}
          <PreviewPanel result={previewed} error={null} />
        </div>
      ) : null}
      <HeadersEditor headers={draft.headers} set={(headers) => set({ headers })} error={errors.headers} />
      {creating ? (
        <fieldset>
          <legend>Signing secret</legend>
          {(
            [
              ['generate', 'Generate one (whsec_…)'],
              ['paste', 'Use my own'],
              ['none', 'None: send unsigned requests'],
            ] as const
          ).map(([mode, label]) => (
            <label class="check" key={mode}>
              <input
                type="radio"
                name="secret-mode"
                value={mode}
                checked={draft.secretMode === mode}
                onChange={() => set({ secretMode: mode })}
              />
              {label}
            </label>
          ))}
          {draft.secretMode === 'paste' ? (
            <Field label="Secret" error={errors.secret}>
              {(props) => (
                <input
                  {...props}
                  type="password"
                  autoComplete="off"
                  value={draft.secret}
                  onInput={(e) => set({ secret: e.currentTarget.value })}
                />
              )}
            </Field>
          ) : null}
        </fieldset>
      ) : null}
      <label class="check">
        <input
          type="checkbox"
          checked={draft.enabled}
          onChange={(e) => set({ enabled: e.currentTarget.checked })}
        />
        Enabled
      </label>
      {unplaced ? <ErrorNote error={save.error} /> : null}
      {save.error && !unplaced ? (
        <p class="field-error" role="alert">
          Please correct the field marked below or above.
        </p>
      ) : null}
      <div class="actions">
        <Link class="button secondary" href={creating ? '/webhooks' : `/webhooks/${webhook.id}`}>
          Cancel
        </Link>
        <button type="submit" disabled={save.busy}>
          {save.busy ? 'Saving…' : creating ? 'Create webhook' : 'Save changes'}
        </button>
      </div>
    </form>
  );
}

export function WebhookFormScreen({ id }: { id?: string }) {
  const state = useLoad(
    async () => ({
      types: await loadEventTypes(),
      webhook: id ? await api<Webhook>('GET', accountPath(`/webhooks/${id}`)) : undefined,
    }),
    [id],
  );
  return (
    <>
      <h1 tabIndex={-1}>{id ? 'Edit webhook' : 'New webhook'}</h1>
      <Loadable state={state}>
        {({ types, webhook }) => <WebhookForm key={webhook?.id ?? 'new'} webhook={webhook} types={types} />}
      </Loadable>
    </>
  );
}
