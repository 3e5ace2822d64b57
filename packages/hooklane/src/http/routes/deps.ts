import type { Config } from '../../config.ts';
import type { Metrics } from '../../metrics.ts';
import type { AccountService } from '../../services/accounts.ts';
import type { BrowserService } from '../../services/browser.ts';
import type { DeliveryService } from '../../services/deliveries.ts';
import type { EventBus } from '../../services/event-bus.ts';
import type { IngestService } from '../../services/ingest.ts';
import type { InsightService } from '../../services/insights.ts';
import type { PortalSessionService } from '../../services/portal-sessions.ts';
import type { WebhookService } from '../../services/webhooks.ts';
import type { Store } from '../../store/store.ts';

/** What the routes are given: the services, and the few things the operational routes read. */
export interface RouteDeps {
  readonly config: Config;
  readonly store: Store;
  readonly metrics: Metrics;
  readonly bus: EventBus;
  readonly accounts: AccountService;
  readonly webhooks: WebhookService;
  readonly ingest: IngestService;
  readonly deliveries: DeliveryService;
  readonly browser: BrowserService;
  readonly insights: InsightService;
  readonly portalSessions: PortalSessionService;
}

export const ERROR_RESPONSES = {
  400: { $ref: 'Error#' },
  401: { $ref: 'Error#' },
  403: { $ref: 'Error#' },
  404: { $ref: 'Error#' },
} as const;
