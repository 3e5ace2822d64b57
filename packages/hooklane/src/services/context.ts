import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { SecretBox } from '../core/secrets.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/store.ts';
import type { EventBus } from './event-bus.ts';

/** What every service is built from; assembled once in `main.ts`. */
export interface ServiceContext {
  readonly config: Config;
  readonly store: Store;
  readonly logger: Logger;
  readonly secretBox: SecretBox;
  readonly metrics: Metrics;
  readonly bus: EventBus;
  readonly now: () => number;
}
