import type { JsonObject } from './payload-filter.ts';
import type { TemplateDefinition } from './payload-template.ts';

/** The domain's shapes, shared by the store, services, delivery engine and API. Times are unix ms. */

import type { Capability } from './capabilities.ts';
import type { PublishablePolicy } from './publishable.ts';

export const ROLES = ['admin', 'viewer', 'ingest', 'publishable'] as const;
export type AccountRole = (typeof ROLES)[number];
export type Role = 'root' | AccountRole;

export const PAYLOAD_FORMATS = [
  'appcues',
  'usetiful',
  'standard',
  'template',
  'slack',
  'teams',
  'google_sheets',
  'zapier',
] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface Account {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
}

export interface ApiKey {
  readonly id: string;
  readonly accountId: string | null;
  readonly role: Role;
  readonly name: string | null;
  readonly prefix: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
  /** A publishable key's origins, events and rate limit; null (or absent) for other roles. */
  readonly policy?: PublishablePolicy | null;
}

/** A webhook that is the target of a browser trigger: its name, and the data fields it receives. */
export interface WebhookTrigger {
  readonly name: string;
  readonly fields: readonly string[];
}

export interface WebhookFilters {
  readonly contentIds: readonly string[] | null;
  /** A payload filter as the user wrote it (core/payload-filter.ts); absent or null: none. */
  readonly match?: JsonObject | null;
}

export interface Webhook {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly filters: WebhookFilters;
  readonly format: PayloadFormat;
  readonly batchWindowMs: number;
  /** The `template` format's template as the user wrote it (core/payload-template.ts). */
  readonly template?: TemplateDefinition | null;
  /**
   * Static headers sent with every attempt. As the store keeps them (and claims carry them)
   * their values are sealed; the webhook service and the engine open them (core/static-headers.ts).
   */
  readonly headers: Readonly<Record<string, string>>;
  readonly enabled: boolean;
  readonly disabledReason: string | null;
  /** Start of the current run of failed attempts; null after any success. */
  readonly failingSince: number | null;
  readonly signed: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The browser trigger it receives (`trigger:<name>` events), or null (absent: none). */
  readonly trigger?: WebhookTrigger | null;
}

/** A webhook secret as stored: sealed (encrypted) and with the time it stops being valid. */
export interface StoredSecret {
  readonly sealed: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
}

/** An event as stored: its final JSON (what the `appcues` format delivers) plus the index fields. */
export interface StoredEvent {
  readonly accountId: string;
  readonly id: string;
  readonly name: string;
  readonly typeId: string | null;
  readonly userId: string;
  readonly contentId: string | null;
  /** The sender's `timestamp` (ms) or, when left out, `ingested_at`. */
  readonly occurredAt: number;
  readonly ingestedAt: number;
  readonly body: string;
}

export interface Delivery {
  readonly id: string;
  readonly accountId: string;
  readonly webhookId: string;
  /** The first (for a usetiful batch) or only event. */
  readonly eventId: string;
  readonly status: DeliveryStatus;
  /** Format and webhook name are fixed when the delivery is created, so every retry sends the same body. */
  readonly format: PayloadFormat;
  readonly webhookName: string;
  readonly batchUserId: string | null;
  readonly attemptCount: number;
  readonly attemptsLeft: number;
  readonly nextAttemptAt: number | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Attempt {
  readonly id: string;
  readonly deliveryId: string;
  readonly accountId: string;
  readonly webhookId: string;
  readonly number: number;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly url: string;
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly responseStatus: number | null;
  readonly responseHeaders: Readonly<Record<string, string>> | null;
  readonly responseBody: string | null;
  readonly error: string | null;
  readonly nextAttemptAt: number | null;
}

/**
 * A portal session: a bearer token of one account limited to some capabilities
 * (core/capabilities.ts) until it expires. Only the token's hash is stored.
 */
export interface PortalSession {
  readonly id: string;
  readonly accountId: string;
  readonly name: string | null;
  readonly capabilities: readonly Capability[];
  readonly createdAt: number;
  readonly expiresAt: number;
}
