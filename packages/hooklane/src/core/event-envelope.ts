/**
 * Fills in what the server owns in an accepted event: `ingested_at` always,
 * and `id`, `account_id` and `timestamp` only when the sender left them out. The sender's
 * fields keep their order and values; added fields go at the end.
 */
export interface FinalisedEvent {
  readonly id: string;
  readonly occurredAt: number;
  readonly body: string;
}

export function finaliseEvent(
  raw: Record<string, unknown>,
  accountId: string,
  ingestedAt: number,
  newId: () => string,
): FinalisedEvent {
  const event: Record<string, unknown> = { ...raw };
  event.ingested_at = ingestedAt;
  if (event.id === undefined) event.id = newId();
  if (event.account_id === undefined) event.account_id = accountId;
  if (event.timestamp === undefined) event.timestamp = ingestedAt;
  return {
    id: event.id as string,
    occurredAt: typeof event.timestamp === 'number' ? event.timestamp : ingestedAt,
    body: JSON.stringify(event),
  };
}
