import { EventEmitter } from 'node:events';
import type { StoredEvent } from '../core/model.ts';

/**
 * In-process notifications: new work for the delivery engine (so ingest→delivery latency
 * is not a polling interval) and ingested events for `listen` streams.
 */
export class EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  workAvailable(): void {
    this.#emitter.emit('work');
  }

  onWork(listener: () => void): () => void {
    this.#emitter.on('work', listener);
    return () => this.#emitter.off('work', listener);
  }

  ingested(accountId: string, events: readonly StoredEvent[]): void {
    if (this.#emitter.listenerCount(`events:${accountId}`) > 0)
      this.#emitter.emit(`events:${accountId}`, events);
  }

  onIngested(accountId: string, listener: (events: readonly StoredEvent[]) => void): () => void {
    this.#emitter.on(`events:${accountId}`, listener);
    return () => this.#emitter.off(`events:${accountId}`, listener);
  }
}
