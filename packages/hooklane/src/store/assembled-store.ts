import type { Store, StoreNotifications } from './store.ts';

/** Members of the Store port, picked by name. */
type Part<K extends keyof Store> = Pick<Store, K>;

/**
 * A backend's Store in the parts its folder holds, one file each, the same files on every
 * backend: each part implements the port's methods of its concern.
 */
export interface StoreParts {
  readonly connection: Part<'migrate' | 'ping' | 'close'>;
  readonly accounts: Part<
    'createAccount' | 'getAccount' | 'insertApiKey' | 'insertRootKeyIfNone' | 'replaceRootKey'
  > &
    Part<'findApiKeyByHash' | 'listApiKeys' | 'revokeApiKey'> &
    Part<'updateKeyPolicy'>;
  readonly webhooks: Part<
    'insertWebhook' | 'getWebhook' | 'listWebhooks' | 'updateWebhook' | 'deleteWebhook'
  > &
    Part<'listSecrets' | 'resealSecrets' | 'resealWebhookHeaders' | 'replaceSecret'>;
  readonly ingest: Part<'ingest' | 'insertTestDelivery'>;
  readonly claim: Part<'claimDue' | 'releaseClaims' | 'nextDueAt'>;
  readonly recordAttempts: Part<'recordAttempts'>;
  readonly deliveries: Part<
    'listDeliveries' | 'getDelivery' | 'listAttempts' | 'getDeliveryWithAttempts' | 'eventsOfDelivery'
  > &
    Part<'retryDelivery' | 'recoverDeliveries' | 'queueStats' | 'getEvents'> &
    Part<'countRecoverable' | 'accountActivity' | 'latestEvents'>;
  readonly portalSessions: Part<'insertPortalSession' | 'findPortalSessionByHash' | 'deletePortalSessions'>;
  readonly retention: Part<'pruneBefore'>;
}

/**
 * The Store as its backend's parts assembled: each method hands its call to the part of its
 * concern. A backend's `index.ts` builds the parts and names the class.
 */
export abstract class AssembledStore implements Store {
  abstract readonly backend: Store['backend'];
  abstract readonly notifications: StoreNotifications | null;
  readonly #parts: StoreParts;

  protected constructor(parts: StoreParts) {
    this.#parts = parts;
  }

  migrate: Store['migrate'] = () => this.#parts.connection.migrate();
  ping: Store['ping'] = () => this.#parts.connection.ping();
  close: Store['close'] = () => this.#parts.connection.close();

  createAccount: Store['createAccount'] = (...a) => this.#parts.accounts.createAccount(...a);
  getAccount: Store['getAccount'] = (...a) => this.#parts.accounts.getAccount(...a);
  insertApiKey: Store['insertApiKey'] = (...a) => this.#parts.accounts.insertApiKey(...a);
  insertRootKeyIfNone: Store['insertRootKeyIfNone'] = (...a) =>
    this.#parts.accounts.insertRootKeyIfNone(...a);
  replaceRootKey: Store['replaceRootKey'] = (...a) => this.#parts.accounts.replaceRootKey(...a);
  findApiKeyByHash: Store['findApiKeyByHash'] = (...a) => this.#parts.accounts.findApiKeyByHash(...a);
  listApiKeys: Store['listApiKeys'] = (...a) => this.#parts.accounts.listApiKeys(...a);
  revokeApiKey: Store['revokeApiKey'] = (...a) => this.#parts.accounts.revokeApiKey(...a);
  updateKeyPolicy: Store['updateKeyPolicy'] = (...a) => this.#parts.accounts.updateKeyPolicy(...a);

  insertWebhook: Store['insertWebhook'] = (...a) => this.#parts.webhooks.insertWebhook(...a);
  getWebhook: Store['getWebhook'] = (...a) => this.#parts.webhooks.getWebhook(...a);
  listWebhooks: Store['listWebhooks'] = (...a) => this.#parts.webhooks.listWebhooks(...a);
  updateWebhook: Store['updateWebhook'] = (...a) => this.#parts.webhooks.updateWebhook(...a);
  deleteWebhook: Store['deleteWebhook'] = (...a) => this.#parts.webhooks.deleteWebhook(...a);
  listSecrets: Store['listSecrets'] = (...a) => this.#parts.webhooks.listSecrets(...a);
  resealSecrets: Store['resealSecrets'] = (...a) => this.#parts.webhooks.resealSecrets(...a);
  resealWebhookHeaders: Store['resealWebhookHeaders'] = (...a) =>
    this.#parts.webhooks.resealWebhookHeaders(...a);
  replaceSecret: Store['replaceSecret'] = (...a) => this.#parts.webhooks.replaceSecret(...a);

  ingest: Store['ingest'] = (...a) => this.#parts.ingest.ingest(...a);
  insertTestDelivery: Store['insertTestDelivery'] = (...a) => this.#parts.ingest.insertTestDelivery(...a);

  claimDue: Store['claimDue'] = (...a) => this.#parts.claim.claimDue(...a);
  releaseClaims: Store['releaseClaims'] = (...a) => this.#parts.claim.releaseClaims(...a);
  nextDueAt: Store['nextDueAt'] = (...a) => this.#parts.claim.nextDueAt(...a);
  recordAttempts: Store['recordAttempts'] = (...a) => this.#parts.recordAttempts.recordAttempts(...a);

  listDeliveries: Store['listDeliveries'] = (...a) => this.#parts.deliveries.listDeliveries(...a);
  getDelivery: Store['getDelivery'] = (...a) => this.#parts.deliveries.getDelivery(...a);
  listAttempts: Store['listAttempts'] = (...a) => this.#parts.deliveries.listAttempts(...a);
  getDeliveryWithAttempts: Store['getDeliveryWithAttempts'] = (...a) =>
    this.#parts.deliveries.getDeliveryWithAttempts(...a);
  eventsOfDelivery: Store['eventsOfDelivery'] = (...a) => this.#parts.deliveries.eventsOfDelivery(...a);
  retryDelivery: Store['retryDelivery'] = (...a) => this.#parts.deliveries.retryDelivery(...a);
  recoverDeliveries: Store['recoverDeliveries'] = (...a) => this.#parts.deliveries.recoverDeliveries(...a);
  queueStats: Store['queueStats'] = () => this.#parts.deliveries.queueStats();
  getEvents: Store['getEvents'] = (...a) => this.#parts.deliveries.getEvents(...a);
  latestEvents: Store['latestEvents'] = (...a) => this.#parts.deliveries.latestEvents(...a);
  countRecoverable: Store['countRecoverable'] = (...a) => this.#parts.deliveries.countRecoverable(...a);
  accountActivity: Store['accountActivity'] = (...a) => this.#parts.deliveries.accountActivity(...a);

  insertPortalSession: Store['insertPortalSession'] = (...a) =>
    this.#parts.portalSessions.insertPortalSession(...a);
  findPortalSessionByHash: Store['findPortalSessionByHash'] = (...a) =>
    this.#parts.portalSessions.findPortalSessionByHash(...a);
  deletePortalSessions: Store['deletePortalSessions'] = (...a) =>
    this.#parts.portalSessions.deletePortalSessions(...a);

  pruneBefore: Store['pruneBefore'] = (...a) => this.#parts.retention.pruneBefore(...a);
}
