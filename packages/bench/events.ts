import { randomUUID } from 'node:crypto';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Reads `probe` every `everyMs` until `done` holds for its value or `untilMs` (a nowMs time)
 * has passed; the last value read, and whether `done` held for it.
 */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  untilMs: number,
  everyMs: number,
): Promise<{ value: T; complete: boolean }> {
  for (;;) {
    const value = await probe();
    if (done(value)) return { value, complete: true };
    if (nowMs() >= untilMs) return { value, complete: false };
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

const PADDING = 'x'.repeat(350);

/**
 * One bench event: an `appcues:flow_completed` envelope padded with attributes to about
 * 1 KB of JSON, carrying the time it was sent in `attributes.sent_at` (the receiver
 * subtracts it from the arrival time).
 */
export function benchEvent(sentAt: number, id: string = randomUUID()): Record<string, unknown> {
  return {
    id,
    name: 'appcues:flow_completed',
    user_id: `user-${id.slice(0, 8)}`,
    group_id: null,
    timestamp: Math.floor(sentAt),
    attributes: {
      flowId: 'daf26add-b4ec-466e-92a7-349defcd55fa',
      flowName: 'Onboarding tour: workspace setup',
      flowType: 'journey',
      flowVersion: 1684507357284,
      sessionId: 1684867470575,
      sent_at: sentAt,
      locale: 'en-GB',
      plan: 'growth',
      step_count: 7,
      completed_steps: [1, 2, 3, 4, 5, 6, 7],
      notes: PADDING,
    },
    context: {
      url: 'https://app.example.com/workspace/settings/onboarding?step=7',
      userAgent:
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
      sessionId: `sess-${id.slice(0, 13)}`,
    },
  };
}

/** `count` events as one JSON array body, all stamped with the same send time. */
export function benchBatch(count: number, sentAt: number): string {
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) events.push(benchEvent(sentAt));
  return JSON.stringify(events);
}
