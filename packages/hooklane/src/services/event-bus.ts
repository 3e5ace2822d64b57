import { EventEmitter } from 'node:events';
import type { StoredEvent } from '../core/model.ts';

/**
 * In-process notifications: new work for the delivery engine (so ingest→delivery latency
 * is not a polling interval) and ingested events for `listen` streams. With a store that
 * broadcasts across processes, ingested events reach listeners through the store instead
 * (`localEvents` false), so that no stream sees an event twice.
 */
export class EventBus {
  readonly #emitter = new EventEmitter();
  readonly #localEvents: boolean;

  constructor(options: { localEvents: boolean }) {
    this.#localEvents = options.localEvents;
    this.#emitter.setMaxListeners(0);
  }

  workAvailable(): void {
    this.#emitter.emit('work');
  }

  onWork(listener: () => void): () => void {
    this.#emitter.on('work', listener);
    return () => this.#emitter.off('work', listener);
  }

  /** Ingest calls this after a commit; `events` is only built when this process has listeners to hand them to. */
  ingested(accountId: string, events: () => readonly StoredEvent[]): void {
    if (this.#localEvents && this.hasListeners(accountId)) this.deliver(accountId, events());
  }

  hasListeners(accountId: string): boolean {
    return this.#emitter.listenerCount(`events:${accountId}`) > 0;
  }

  /** Hands events to this process's listeners of the account. */
  deliver(accountId: string, events: readonly StoredEvent[]): void {
    if (this.hasListeners(accountId)) this.#emitter.emit(`events:${accountId}`, events);
  }

  onIngested(accountId: string, listener: (events: readonly StoredEvent[]) => void): () => void {
    this.#emitter.on(`events:${accountId}`, listener);
    return () => this.#emitter.off(`events:${accountId}`, listener);
  }
}
