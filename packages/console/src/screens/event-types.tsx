import { useState } from 'preact/hooks';
import { api, type Delivery, type EventType } from '../api.ts';
import { groupBySource, loadEventTypes } from '../event-types.ts';
import { Link } from '../router.tsx';
import { accountPath, canEdit } from '../session.ts';
import { Code, ErrorNote, Field, Loadable, useAction, useLoad } from '../ui.tsx';
import { loadWebhooks } from './webhooks.tsx';

function SendSample({ type }: { type: EventType }) {
  const webhooks = useLoad(loadWebhooks, []);
  const [webhookId, setWebhookId] = useState('');
  const action = useAction();
  const [sent, setSent] = useState<Delivery | null>(null);
  const chosen = webhookId || webhooks.data?.[0]?.id || '';
  if (webhooks.data && webhooks.data.length === 0)
    return <p class="muted">Create a webhook to send this sample to it.</p>;
  return (
    <form
      class="filters"
      onSubmit={async (event) => {
        event.preventDefault();
        const delivery = await action.run(() =>
          api<Delivery>('POST', accountPath(`/webhooks/${chosen}/test`), { event_type: type.id }),
        );
        if (delivery) setSent(delivery);
      }}
    >
      <Field label={`Send the ${type.label} sample to`}>
        {(props) => (
          <select {...props} value={chosen} onChange={(e) => setWebhookId(e.currentTarget.value)}>
            {(webhooks.data ?? []).map((webhook) => (
              <option key={webhook.id} value={webhook.id}>
                {webhook.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" class="secondary" disabled={action.busy || !chosen}>
        Send sample
      </button>
      {sent ? (
        <span role="status">
          Sent: <Link href={`/deliveries/${sent.id}`}>the delivery</Link>
        </span>
      ) : null}
      {action.error ? <ErrorNote error={action.error} /> : null}
    </form>
  );
}

export function EventTypesScreen() {
  const state = useLoad(loadEventTypes, []);
  return (
    <>
      <h1 tabIndex={-1}>Event types</h1>
      <p class="muted">
        The catalog of known events. A webhook subscribes to these ids, to custom event names, or to all
        events.
      </p>
      <Loadable state={state} isEmpty={(types) => types.length === 0}>
        {(types) =>
          groupBySource(types).map(([group, members]) => (
            <section key={group} aria-labelledby={`group-${group}`}>
              <h2 id={`group-${group}`}>{group}</h2>
              {members.map((type) => (
                <details key={type.id} class="card type">
                  <summary>
                    <strong>{type.label}</strong> <code>{type.id}</code>
                    <span class="muted small-text"> {type.names.join(', ')}</span>
                  </summary>
                  <p>{type.description}</p>
                  {type.content_id_paths.length > 0 ? (
                    <p>
                      Content id: <code>{type.content_id_paths.join(' or ')}</code>
                    </p>
                  ) : null}
                  <div class="grid-2">
                    <div>
                      <h3>Schema</h3>
                      <Code label={`${type.label} schema`}>{JSON.stringify(type.schema, null, 2)}</Code>
                    </div>
                    <div>
                      <h3>Sample</h3>
                      <Code label={`${type.label} sample`}>{JSON.stringify(type.sample, null, 2)}</Code>
                    </div>
                  </div>
                  {canEdit.value ? <SendSample type={type} /> : null}
                </details>
              ))}
            </section>
          ))
        }
      </Loadable>
    </>
  );
}
