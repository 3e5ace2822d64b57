import { useEffect, useState } from 'preact/hooks';
import { api, apiKey, type LatestEvent, query, type Routing } from '../api.ts';
import { Link, route, setQuery } from '../router.tsx';
import { accountPath, isKeyAdmin } from '../session.ts';
import { Time } from '../time.tsx';
import { Badge, Field, Loadable, STATUS_TONE, useLoad } from '../ui.tsx';

interface Streamed {
  type: string | null;
  event: { id: string; name: string; user_id?: string | null; ingested_at?: number; timestamp?: number };
}

type StreamState = 'connecting' | 'live' | 'retrying';

/**
 * Reads the account's Server-Sent Events stream with fetch (EventSource cannot send the
 * Authorization header), reconnecting after a pause when it drops.
 */
function useEventStream(enabled: boolean, onEvent: (message: Streamed) => void): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  useEffect(() => {
    if (!enabled) return;
    const abort = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = async () => {
      setState('connecting');
      try {
        const res = await fetch(accountPath('/listen'), {
          headers: { authorization: `Bearer ${apiKey.value}`, accept: 'text/event-stream' },
          signal: abort.signal,
        });
        if (!res.ok || !res.body) throw new Error(`listen answered ${res.status}`);
        setState('live');
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block
              .split('\n')
              .filter((line) => line.startsWith('data:'))
              .map((line) => line.slice(5).trimStart())
              .join('\n');
            if (data) onEvent(JSON.parse(data) as Streamed);
            end = buffer.indexOf('\n\n');
          }
        }
      } catch {
        if (abort.signal.aborted) return;
      }
      if (abort.signal.aborted) return;
      setState('retrying');
      retry = setTimeout(connect, 3000);
    };
    connect();
    return () => {
      abort.abort();
      clearTimeout(retry);
    };
  }, [enabled]);
  return state;
}

const WHY_NOT: Record<string, string> = {
  disabled: 'the webhook is disabled',
  type_not_subscribed: 'it is not subscribed to this event type',
  content_filter: 'its content filter left the event out',
  created_after_event: 'the webhook was created after the event',
  no_delivery:
    'it would take the event today, but has no delivery of it (its settings changed since, or the delivery was pruned)',
};

/** For one event: the delivery each webhook got, or why it got none (GET /events/{id}/routing). */
function Lookup({ eventId }: { eventId: string }) {
  const routing = useLoad(
    () => api<Routing>('GET', accountPath(`/events/${encodeURIComponent(eventId)}/routing`)),
    [eventId],
  );
  return (
    <section aria-labelledby="lookup-title">
      <h2 id="lookup-title">
        Where event <code>{eventId}</code> went
      </h2>
      <Loadable state={routing} isEmpty={(r) => r.webhooks.length === 0} empty="The account has no webhook.">
        {(r) => (
          <>
            <p>
              <code>{r.event_name}</code>, received <Time at={r.ingested_at} />.
            </p>
            <table class="responsive">
              <thead>
                <tr>
                  <th scope="col">Webhook</th>
                  <th scope="col">Delivered</th>
                  <th scope="col">Why not</th>
                </tr>
              </thead>
              <tbody>
                {r.webhooks.map((route) => (
                  <tr key={route.webhook_id}>
                    <td data-label="Webhook">
                      <Link href={`/webhooks/${route.webhook_id}`}>{route.name}</Link>
                    </td>
                    <td data-label="Delivered">
                      {route.delivery ? (
                        <Link href={`/deliveries/${route.delivery.id}`}>
                          <Badge tone={STATUS_TONE[route.delivery.status] ?? 'muted'}>
                            {route.delivery.status}
                          </Badge>
                        </Link>
                      ) : (
                        <Badge tone="muted">not delivered</Badge>
                      )}
                    </td>
                    <td data-label="Why not">
                      {route.reason ? (WHY_NOT[route.reason] ?? route.reason) : '—'}
                      {route.changed_since_event ? (
                        <span class="muted small-text">
                          {' '}
                          (edited since the event: read with its settings of today)
                        </span>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Loadable>
    </section>
  );
}

interface EventRow {
  id: string;
  name: string;
  type: string | null;
  userId: string | null;
  contentId: string | null;
  at: string;
}

const rowOf = (event: LatestEvent): EventRow => ({
  id: event.id,
  name: event.name,
  type: event.type,
  userId: event.user_id,
  contentId: event.content_id,
  at: event.ingested_at,
});

/** Events, each with a button that shows where it went. */
function EventTable({ rows, look }: { rows: EventRow[]; look: (eventId: string) => void }) {
  return (
    <table class="responsive">
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">Type</th>
          <th scope="col">User</th>
          <th scope="col">Content</th>
          <th scope="col">Received</th>
          <th scope="col">
            <span class="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((event) => (
          <tr key={event.id}>
            <td data-label="Event">
              <code>{event.name}</code>
            </td>
            <td data-label="Type">{event.type ?? <span class="muted">custom</span>}</td>
            <td data-label="User">{event.userId ?? '—'}</td>
            <td data-label="Content">{event.contentId ? <code>{event.contentId}</code> : '—'}</td>
            <td data-label="Received">
              <Time at={event.at} />
            </td>
            <td>
              <button type="button" class="secondary small" onClick={() => look(event.id)}>
                Where {event.id.slice(0, 8)} went
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The latest stored events (GET /events), one user's with `userId`. */
function StoredEvents({
  userId,
  look,
  title,
}: {
  userId?: string;
  look: (eventId: string) => void;
  title: preact.ComponentChildren;
}) {
  const events = useLoad(
    () => api<{ data: LatestEvent[] }>('GET', accountPath(`/events${query({ user_id: userId, limit: 50 })}`)),
    [userId],
  );
  const id = userId ? 'user-title' : 'stored-title';
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <Loadable
        state={events}
        isEmpty={(page) => page.data.length === 0}
        empty={userId ? 'No stored event of this user.' : 'No event stored yet.'}
      >
        {(page) => <EventTable rows={page.data.map(rowOf)} look={look} />}
      </Loadable>
    </section>
  );
}

export function EventsScreen() {
  const selected = route.value.search.get('event_id') ?? '';
  const selectedUser = route.value.search.get('user_id') ?? '';
  const [id, setId] = useState(selected);
  const [user, setUser] = useState(selectedUser);
  const [events, setEvents] = useState<Streamed[]>([]);
  // The live stream is an admin key's; a viewer and a portal session see the latest stored events.
  const live = isKeyAdmin.value;
  const state = useEventStream(live, (message) => setEvents((old) => [message, ...old].slice(0, 200)));
  const look = (eventId: string) => {
    setId(eventId);
    setQuery({ event_id: eventId, user_id: selectedUser });
  };
  return (
    <>
      <h1 tabIndex={-1}>Events</h1>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          look(id.trim());
        }}
      >
        <Field label="Look up an event by id">
          {(props) => <input {...props} value={id} onInput={(e) => setId(e.currentTarget.value)} />}
        </Field>
        <button type="submit" class="secondary">
          Look up
        </button>
      </form>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setQuery({ user_id: user.trim() });
        }}
      >
        <Field label="Find a user's events by user id">
          {(props) => <input {...props} value={user} onInput={(e) => setUser(e.currentTarget.value)} />}
        </Field>
        <button type="submit" class="secondary">
          Find
        </button>
      </form>
      {selected ? <Lookup eventId={selected} /> : null}
      {selectedUser ? (
        <StoredEvents
          userId={selectedUser}
          look={look}
          title={
            <>
              Latest events of user <code>{selectedUser}</code>
            </>
          }
        />
      ) : null}
      {live ? (
        <section aria-labelledby="live-title">
          <div class="title-row">
            <h2 id="live-title">Live stream</h2>
            <span class={`badge badge-${state === 'live' ? 'ok' : 'warn'}`} role="status">
              {state === 'live' ? 'connected' : state === 'connecting' ? 'connecting…' : 'reconnecting…'}
            </span>
          </div>
          {events.length === 0 ? (
            <p class="empty">Waiting for events… they appear here as they are sent to this account.</p>
          ) : (
            <EventTable
              rows={events.map(({ type, event }) => ({
                id: event.id,
                name: event.name,
                type,
                userId: event.user_id ?? null,
                contentId: null,
                at: new Date(event.ingested_at ?? Date.now()).toISOString(),
              }))}
              look={look}
            />
          )}
        </section>
      ) : (
        // Without the stream (a viewer key, a portal link): the latest stored events instead.
        <StoredEvents look={look} title="Latest events" />
      )}
    </>
  );
}
