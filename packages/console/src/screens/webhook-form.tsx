import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type EventType, type LatestEvent, type Webhook } from '../api.ts';
import { groupBySource, loadEventTypes } from '../event-types.ts';
import { Link, navigate } from '../router.tsx';
import { accountPath } from '../session.ts';
import { ErrorNote, Field, Loadable, useAction, useLoad } from '../ui.tsx';

type SecretMode = 'generate' | 'paste' | 'none';
type FieldName =
  | 'name'
  | 'url'
  | 'events'
  | 'content_ids'
  | 'format'
  | 'batch_window_ms'
  | 'headers'
  | 'secret';

interface Draft {
  name: string;
  url: string;
  all: boolean;
  types: string[];
  custom: string;
  contentIds: string;
  format: string;
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
    const top = where.split('/')[0] ?? '';
    const field: FieldName | undefined =
      top === 'filters'
        ? 'content_ids'
        : (['name', 'url', 'events', 'format', 'batch_window_ms', 'headers', 'secret'] as const).find(
            (name) => name === top,
          );
    if (field && !out[field]) out[field] = error.message;
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

function WebhookForm({ webhook, types }: { webhook?: Webhook; types: EventType[] }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(webhook, types));
  const save = useAction();
  const set = (patch: Partial<Draft>) => setDraft((old) => ({ ...old, ...patch }));
  const errors = fieldErrors(save.error);
  const creating = webhook === undefined;

  useEffect(() => {
    // Bring the first field with an error into view and focus, so it is not missed.
    if (save.error) document.querySelector<HTMLElement>('[aria-invalid="true"], .has-error input')?.focus();
  }, [save.error]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const events = draft.all ? ['*'] : [...draft.types, ...list(draft.custom)];
    const contentIds = list(draft.contentIds);
    const body: Record<string, unknown> = {
      name: draft.name.trim(),
      url: draft.url.trim(),
      events,
      filters: { content_ids: contentIds.length > 0 ? contentIds : null },
      format: draft.format,
      headers: Object.fromEntries(
        draft.headers.filter((h) => h.name.trim()).map((h) => [h.name.trim(), h.value]),
      ),
      enabled: draft.enabled,
    };
    if (draft.format === 'usetiful') body.batch_window_ms = Number(draft.batchWindowMs) || 0;
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

  const unplaced = save.error && Object.keys(errors).length === 0;
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
              <option value="appcues">Appcues (the event as sent)</option>
              <option value="usetiful">Usetiful (batched per user)</option>
              <option value="standard">Standard Webhooks envelope</option>
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
      </div>
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
