/**
 * The event catalog as data: every known event type, how it is recognised from an
 * event's `name` and attributes, where its content id lives, its JSON Schema and a sample.
 *
 * Pure: no I/O, no environment. Everything exported is deeply frozen, because the same
 * objects are shared by ingest, delivery and `GET /v1/event-types`.
 *
 * @module
 */

import { isPlainObject } from './json.ts';

/** One entry of the event catalog. */
export interface EventType {
  /** Stable type id, e.g. `flow_completed`; what webhooks subscribe to. */
  readonly id: string;
  /** Human label, e.g. `Web Flow Completed` (the seed example's title for Appcues types). */
  readonly label: string;
  /** The platform whose webhook documentation the type comes from; `hooklane` for its own. */
  readonly source: 'appcues' | 'usetiful' | 'hooklane';
  /** Event `name` values that can denote this type (some need a matching attribute too). */
  readonly names: readonly string[];
  /** The recognition rule in words. */
  readonly description: string;
  /** Attribute names under `attributes` holding the content id; the first present wins. */
  readonly contentIdPaths: readonly string[];
  /** JSON Schema (draft-07) of the whole event envelope for this type. */
  readonly schema: Record<string, unknown>;
  /** A full example event of this type. */
  readonly sample: Readonly<Record<string, unknown>>;
}

/** Attributes that decide between types sharing a `name`; absent means the name alone decides. */
type Condition = (attributes: Readonly<Record<string, unknown>>) => boolean;

interface Recognition {
  readonly name: string;
  readonly when?: Condition;
}

interface Definition {
  readonly id: string;
  readonly label: string;
  readonly source: 'appcues' | 'usetiful' | 'hooklane';
  readonly recognisedBy: readonly Recognition[];
  readonly description: string;
  readonly contentIdPaths: readonly string[];
  /** Schema of `attributes`; `undefined` when the type needs no attributes at all. */
  readonly attributes: Record<string, unknown> | undefined;
  readonly sample: Record<string, unknown>;
}

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/**
 * Envelope fields as the sender may give them, before the server fills in `id`, `account_id`,
 * `timestamp` and `ingested_at`. Unknown fields are allowed: they are delivered as sent.
 */
const ENVELOPE_PROPERTIES = {
  id: { type: 'string', minLength: 1, maxLength: 200 },
  name: { type: 'string', minLength: 1, maxLength: 200 },
  account_id: { type: 'string', maxLength: 200 },
  user_id: { type: 'string', minLength: 1, maxLength: 500 },
  group_id: { type: ['string', 'null'] },
  // Milliseconds since the epoch; capped so that every store can hold it exactly.
  timestamp: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  // Accepted in any shape because the server overwrites it.
  ingested_at: {},
  attributes: { type: 'object' },
  context: { type: ['object', 'null'] },
  source: {},
} as const;

/**
 * JSON Schema of the envelope every event must satisfy, whatever its name. Type schemas
 * extend it with the attributes their type requires.
 */
export const EVENT_ENVELOPE_SCHEMA: Readonly<Record<string, unknown>> = deepFreeze({
  $schema: DRAFT_07,
  title: 'Event',
  type: 'object',
  required: ['name', 'user_id'],
  properties: ENVELOPE_PROPERTIES,
});

/** Content ids are strings in the seed; Usetiful-style integer ids are accepted too. */
const CONTENT_ID = { type: ['string', 'integer'], minLength: 1 } as const;
const TAG = { type: 'string', minLength: 1 } as const;

/** Attributes schema requiring each listed content id. */
function requires(properties: Record<string, unknown>): Record<string, unknown> {
  return { type: 'object', required: Object.keys(properties), properties };
}

/** Attributes schema requiring at least one of two alternative content ids. */
function requiresEither(first: string, second: string): Record<string, unknown> {
  return {
    type: 'object',
    // Types live outside anyOf so a wrong type is reported at the property itself.
    properties: { [first]: CONTENT_ID, [second]: CONTENT_ID },
    anyOf: [{ required: [first] }, { required: [second] }],
  };
}

/** Not undefined and not null, as an own property (never an inherited one). */
function has(attributes: Readonly<Record<string, unknown>>, key: string): boolean {
  return Object.hasOwn(attributes, key) && attributes[key] !== undefined && attributes[key] !== null;
}

function attributeIs(key: string, value: string): Condition {
  return (attributes) => Object.hasOwn(attributes, key) && attributes[key] === value;
}

/** The seed's NPS Feedback example arrives as `appcues:nps_score` with feedback and no score. */
const feedbackWithoutScore: Condition = (attributes) =>
  has(attributes, 'feedback') && !has(attributes, 'score');

// Samples. The 13 Appcues ones are the seed examples (fixtures/appcues-examples.json) field for
// field; the 8 Usetiful-only ones are ours, since the seed documents no payload for them.

/** Seed example "NPS Score". */
const NPS_SCORE_SAMPLE = {
  account_id: '94742',
  attributes: {
    _prev_nps_score: null,
    _prev_nps_score_time: null,
    flowId: 'c32fb928-7a1a-4feb-8993-696aa68fe5fb',
    flowName: 'NPS Survey',
    flowType: 'satisfaction-survey',
    flowVersion: 1664820161117,
    localeId: 'default',
    localeName: 'default',
    score: 10,
    sessionId: 1670422599749,
  },
  context: {
    url: 'https://appcues.github.io/flow-testbench/',
  },
  group_id: null,
  id: '7ed17098-dcb0-4602-a9d7-8e7605577f19',
  ingested_at: 1684439316408,
  name: 'appcues:nps_score',
  source: null,
  timestamp: 1684439316293,
  user_id: 'anon:a24a871a-74f2-450e-b079-95672ac6ba52',
};

/** Seed example "NPS Feedback". */
const NPS_FEEDBACK_SAMPLE = {
  account_id: '94742',
  attributes: {
    feedback: 'great stuff',
    flowId: 'c32fb928-7a1a-4feb-8993-696aa68fe5fb',
    flowName: 'NPS Survey',
    flowType: 'satisfaction-survey',
    flowVersion: 1664820161117,
    localeId: 'default',
    localeName: 'default',
    sessionId: 1670422599749,
  },
  context: {
    url: 'https://appcues.github.io/flow-testbench/',
  },
  group_id: null,
  id: '7ed17098-dcb0-4602-a9d7-8e7605577f19',
  ingested_at: 1684439316408,
  name: 'appcues:nps_score',
  source: null,
  timestamp: 1684439316293,
  user_id: 'anon:a24a871a-74f2-450e-b079-95672ac6ba52',
};

/** Seed example "Web Flow Completed". */
const FLOW_COMPLETED_SAMPLE = {
  account_id: '94742',
  attributes: {
    flowId: 'daf26add-b4ec-466e-92a7-349defcd55fa',
    flowName: 'Modal Test',
    flowType: 'journey',
    flowVersion: 1684507357284,
    sessionId: 1684868248856,
  },
  context: {
    url: 'https://appcues.github.io/flow-testbench/',
  },
  group_id: null,
  id: '7e691fdc-842a-4b39-9288-3bfa76084b75',
  ingested_at: 1684868251991,
  name: 'appcues:flow_completed',
  timestamp: 1684868251905,
  user_id: 'anon:1c499266-100c-477a-93cb-025fe02a9589',
};

/** Seed example "Web Flow Started". */
const FLOW_STARTED_SAMPLE = {
  account_id: '94742',
  attributes: {
    flowId: 'daf26add-b4ec-466e-92a7-349defcd55fa',
    flowName: 'Modal Test',
    flowType: 'journey',
    flowVersion: 1684507357284,
    sessionId: 1684867470575,
  },
  context: {
    url: 'https://appcues.github.io/flow-testbench/',
  },
  group_id: null,
  id: '0deb801e-d48b-4610-9c8a-bf333b9a5cda',
  ingested_at: 1684867471407,
  name: 'appcues:flow_started',
  timestamp: 1684867471283,
  user_id: 'anon:7def0d8b-00e9-4a96-9399-67ce2b1252fd',
};

/** Seed example "Web Flow Button Clicked". */
const FLOW_BUTTON_CLICKED_SAMPLE = {
  account_id: '94742',
  attributes: {
    flowId: 'daf26add-b4ec-466e-92a7-349defcd55fa',
    flowName: 'Modal Test',
    flowType: 'journey',
    flowVersion: 1684507357284,
    interaction: {
      category: 'internal',
      destination: 'end-flow',
      text: 'Next',
    },
    context: {
      url: 'https://appcues.github.io/flow-testbench/',
    },
    interactionType: 'click',
    sessionId: 1684868063974,
    stepChildId: 'fe3e9b79-2e90-488b-a698-7440229820c9',
    stepChildNumber: 0,
    stepId: '69bf781b-a660-43ea-8f2f-7580dfc4eee3',
    stepNumber: 0,
    stepType: 'modal',
  },
  group_id: null,
  id: '0125feb0-2f14-4f83-a820-b971243c3ebf',
  ingested_at: 1684868069159,
  name: 'appcues:step_interacted',
  timestamp: 1684868069070,
  user_id: 'anon:1c499266-100c-477a-93cb-025fe02a9589',
};

/** Seed example "Web Flow Form Submitted". */
const FLOW_FORM_SUBMITTED_SAMPLE = {
  account_id: '94742',
  attributes: {
    flowId: 'daf26add-b4ec-466e-92a7-349defcd55fa',
    flowName: 'Modal Test',
    flowType: 'journey',
    flowVersion: 1684507357284,
    interaction: {
      category: 'form',
      formId: null,
      response: [
        {
          fieldId: '83038f4a-2505-47fb-9092-ec72ca3eb981',
          fieldRequired: false,
          fieldType: 'null',
          label: "What's your role at the company?",
          value: 'Product Manager',
        },
      ],
    },
    interactionType: 'submit',
    sessionId: 1684868063974,
    stepChildId: 'fe3e9b79-2e90-488b-a698-7440229820c9',
    stepChildNumber: 0,
    stepId: '69bf781b-a660-43ea-8f2f-7580dfc4eee3',
    stepNumber: 0,
    stepType: 'modal',
  },
  context: {
    url: 'https://appcues.github.io/flow-testbench/',
  },
  group_id: null,
  id: '0129c911-380b-4554-ab84-0e1cab7919eb',
  ingested_at: 1684868069159,
  name: 'appcues:form_submitted',
  timestamp: 1684868069056,
  user_id: 'anon:1c499266-100c-477a-93cb-025fe02a9589',
};

/** Seed example "Web Flow Skipped". */
const FLOW_SKIPPED_SAMPLE = {
  account_id: '94742',
  attributes: {
    flowId: 'daf26add-b4ec-466e-92a7-349defcd55fa',
    flowName: 'Modal Test',
    flowType: 'journey',
    flowVersion: 1684507357284,
    sessionId: 1684868368272,
    stepId: '69bf781b-a660-43ea-8f2f-7580dfc4eee3',
    stepNumber: 0,
  },
  context: {
    url: 'https://appcues.github.io/flow-testbench/',
  },
  group_id: null,
  id: 'e313efaa-a621-4db4-be99-012928c47722',
  ingested_at: 1684868370405,
  name: 'appcues:flow_skipped',
  timestamp: 1684868370285,
  user_id: 'anon:1c499266-100c-477a-93cb-025fe02a9589',
};

/** Seed example "Checklist Item Completed". */
const CHECKLIST_ITEM_COMPLETED_SAMPLE = {
  account_id: '94742',
  attributes: {
    checklistId: 'cb4f19a2-43a7-42ea-a860-16c9be3cfe43',
    checklistName: 'Journeys checklist',
    itemId: '05be3915-7e70-4b2d-ae4b-f3f56b91e061',
    itemIndex: 0,
    itemLabel: 'Complete tutorial',
    sessionId: 1684868642856,
  },
  context: {
    url: 'https://appcues.github.io/flow-testbench/',
  },
  group_id: null,
  id: '76ccf047-c216-4324-add5-32bf6b780172',
  ingested_at: 1684868643253,
  name: 'appcues:checklist_item_completed',
  timestamp: 1684868643142,
  user_id: 'anon:1c499266-100c-477a-93cb-025fe02a9589',
};

/** Seed example "Checklist Completed". */
const CHECKLIST_COMPLETED_SAMPLE = {
  account_id: '94742',
  attributes: {
    checklistId: 'cb4f19a2-43a7-42ea-a860-16c9be3cfe43',
    checklistName: 'Journeys checklist',
    sessionId: 1684868642856,
  },
  context: {
    url: 'https://appcues.github.io/flow-testbench/',
  },
  group_id: null,
  id: '21430f65-65ac-48a2-a671-1c9e0ff31c8b',
  ingested_at: 1684868643252,
  name: 'appcues:checklist_completed',
  timestamp: 1684868643141,
  user_id: 'anon:1c499266-100c-477a-93cb-025fe02a9589',
};

/** Seed example "Checklist Skipped". */
const CHECKLIST_SKIPPED_SAMPLE = {
  account_id: '94742',
  attributes: {
    checklistId: 'cb4f19a2-43a7-42ea-a860-16c9be3cfe43',
    checklistName: 'Journeys checklist',
    sessionId: 1684441654617,
  },
  context: {
    url: 'https://appcues.github.io/flow-testbench/',
  },
  group_id: null,
  id: '6ece7bef-64ac-489d-8ac4-03323af01110',
  ingested_at: 1684441658142,
  name: 'appcues:checklist_skipped',
  source: null,
  timestamp: 1684441658013,
  user_id: 'anon:061e8c23-a2db-4dad-b538-6dd9932461f8',
};

/** Seed example "Checklist Shown". */
const CHECKLIST_SHOWN_SAMPLE = {
  account_id: '94742',
  attributes: {
    checklistId: 'cb4f19a2-43a7-42ea-a860-16c9be3cfe43',
    checklistName: 'Journeys checklist',
    sessionId: 1684868642856,
  },
  context: {
    url: 'https://appcues.github.io/flow-testbench/',
  },
  group_id: null,
  id: 'baef6f24-5e56-4ea6-b064-b65cbb5b00c4',
  ingested_at: 1684868644394,
  name: 'appcues:checklist_shown',
  timestamp: 1684868644274,
  user_id: 'anon:1c499266-100c-477a-93cb-025fe02a9589',
};

/** Seed example "Mobile Flow Started". */
const MOBILE_FLOW_STARTED_SAMPLE = {
  account_id: '94742',
  attributes: {
    experienceId: '5e9e9ab6-4dca-4596-b52d-d59052f96892',
    experienceName: 'Mobile Control',
    experienceType: 'mobile',
    interactionType: 'Button Tapped',
    stepId: '25e1c534-8c6b-47fc-a343-6fb22d179d74',
    stepType: 'modal',
    version: 1684442952071,
  },
  group_id: null,
  id: 'bf1baa7e-0c61-4d9d-a437-37bef45566b0',
  ingested_at: 1684869295614,
  name: 'appcues:v2:step_interaction',
  timestamp: 1684869287097,
  user_id: 'g1j77no',
};

/** Seed example "Pin Interacted". */
const PIN_INTERACTED_SAMPLE = {
  account_id: '94742',
  attributes: {
    experienceId: 'df38c205-aef4-45e0-91e6-e848b117899c',
    experienceName: 'Pin A Condition',
    experienceType: 'persistent',
    interactionType: 'Button Pin Clicked',
    stepId: '3b188f86-d230-4fbb-8e9f-1133b09f8023',
    stepName: 'Pin 1',
    stepType: 'button',
  },
  context: {
    url: 'https://appcues.github.io/flow-testbench/',
  },
  group_id: null,
  id: 'b0f11cb2-f3d7-4b5b-b70e-80a46ad58a2a',
  ingested_at: 1684869173769,
  name: 'appcues:v2:step_interaction',
  timestamp: 1684869172760,
  user_id: 'anon:1c499266-100c-477a-93cb-025fe02a9589',
};

/** Our sample: Usetiful documents no payload for `tour_completed`. */
const TOUR_COMPLETED_SAMPLE = {
  id: '3f6c2b1e-8a4d-4c7e-9b2f-5d1e0a7c4b93',
  name: 'tour_completed',
  account_id: '94742',
  user_id: 'user-5821',
  group_id: null,
  timestamp: 1684870012345,
  ingested_at: 1684870012421,
  attributes: { contentId: 'a1d4e7f0-2b5c-4e8f-9a3d-6c0b9e2f5a18', tourName: 'Welcome tour' },
  context: { url: 'https://app.example.com/dashboard' },
};

/** Our sample: Usetiful documents no payload for `checklist_dismissed`. */
const CHECKLIST_DISMISSED_SAMPLE = {
  id: '8b2e5d0a-1c4f-4a7b-8e3d-9f6a2c5b8e01',
  name: 'checklist_dismissed',
  account_id: '94742',
  user_id: 'user-5821',
  group_id: null,
  timestamp: 1684870023456,
  ingested_at: 1684870023530,
  attributes: { contentId: 'c7f0a3d6-9e2b-4c5f-8a1d-4b7e0c3f6a92', checklistName: 'Getting started' },
  context: { url: 'https://app.example.com/dashboard' },
};

/** Our sample: Usetiful documents no payload for `banner_seen`. */
const BANNER_SEEN_SAMPLE = {
  id: 'd4a7c0f3-6b9e-4d2a-b5c8-1e4f7a0d3b66',
  name: 'banner_seen',
  account_id: '94742',
  user_id: 'user-5821',
  group_id: null,
  timestamp: 1684870034567,
  ingested_at: 1684870034640,
  attributes: { contentId: 'e2b5d8f1-4a7c-4e0b-9d3f-6a9c2e5b8d47', bannerName: 'New pricing' },
  context: { url: 'https://app.example.com/dashboard' },
};

/** Our sample: Usetiful documents no payload for `banner_closed`. */
const BANNER_CLOSED_SAMPLE = {
  id: '5e8b1d4a-7c0f-4b3e-a6d9-2f5c8b1e4a70',
  name: 'banner_closed',
  account_id: '94742',
  user_id: 'user-5821',
  group_id: null,
  timestamp: 1684870045678,
  ingested_at: 1684870045752,
  attributes: { contentId: 'e2b5d8f1-4a7c-4e0b-9d3f-6a9c2e5b8d47', bannerName: 'New pricing' },
  context: { url: 'https://app.example.com/dashboard' },
};

/** Our sample: Usetiful documents no payload for `user_created`; it has no content id. */
const USER_CREATED_SAMPLE = {
  id: 'f1c4e7a0-3d6b-4f9c-8e2a-5b8d1f4c7e03',
  name: 'user_created',
  account_id: '94742',
  user_id: 'user-5821',
  group_id: null,
  timestamp: 1684870001234,
  ingested_at: 1684870001309,
  attributes: {},
  context: { url: 'https://app.example.com/dashboard' },
};

/** Our sample: Usetiful documents no payload for `user_tag_added`. */
const USER_TAG_ADDED_SAMPLE = {
  id: '2a5d8c1f-4e7b-4a0d-9c3e-6f9b2d5a8c14',
  name: 'user_tag_added',
  account_id: '94742',
  user_id: 'user-5821',
  group_id: null,
  timestamp: 1684870056789,
  ingested_at: 1684870056861,
  attributes: { tag: 'beta-tester' },
  context: { url: 'https://app.example.com/dashboard' },
};

/** Our sample: Usetiful documents no payload for `script_tag_set`. */
const SCRIPT_TAG_SET_SAMPLE = {
  id: '7c0f3a6d-9b2e-4c5a-8f1b-4d7a0e3c6f25',
  name: 'script_tag_set',
  account_id: '94742',
  user_id: 'user-5821',
  group_id: null,
  timestamp: 1684870067890,
  ingested_at: 1684870067964,
  attributes: { tag: 'plan', value: 'pro' },
  context: { url: 'https://app.example.com/dashboard' },
};

/** Our sample: Usetiful documents no payload for `auto_segment_changed`. */
const AUTO_SEGMENT_CHANGED_SAMPLE = {
  id: 'b9e2c5f8-1a4d-4b7e-a0c3-8e1b4f7a0d36',
  name: 'auto_segment_changed',
  account_id: '94742',
  user_id: 'user-5821',
  group_id: null,
  timestamp: 1684870078901,
  ingested_at: 1684870078975,
  attributes: { segmentId: '0d3f6a9c-2e5b-4d8f-b1a4-7c0e3b6d9f58', segmentName: 'Power users' },
  context: { url: 'https://app.example.com/dashboard' },
};

const FLOW_ID = requires({ flowId: CONTENT_ID });
const CHECKLIST_ID = requires({ checklistId: CONTENT_ID });

/** The catalog in its documented order; `EVENT_TYPES` is derived from it. */
const DEFINITIONS: readonly Definition[] = [
  {
    id: 'nps_score',
    label: 'NPS Score',
    source: 'appcues',
    recognisedBy: [{ name: 'appcues:nps_score' }],
    description:
      '`appcues:nps_score` carrying `attributes.score` (a number). Without score or feedback it is still this type, and refused for lacking the score.',
    contentIdPaths: ['flowId'],
    attributes: requires({ flowId: CONTENT_ID, score: { type: 'number' } }),
    sample: NPS_SCORE_SAMPLE,
  },
  {
    id: 'nps_feedback',
    label: 'NPS Feedback',
    source: 'appcues',
    recognisedBy: [
      { name: 'appcues:nps_feedback' },
      { name: 'appcues:nps_score', when: feedbackWithoutScore },
    ],
    description:
      '`appcues:nps_feedback`; also `appcues:nps_score` carrying `attributes.feedback` and no score, as the Appcues example does.',
    contentIdPaths: ['flowId'],
    attributes: requires({ flowId: CONTENT_ID, feedback: { type: 'string' } }),
    sample: NPS_FEEDBACK_SAMPLE,
  },
  {
    id: 'flow_started',
    label: 'Web Flow Started',
    source: 'appcues',
    recognisedBy: [{ name: 'appcues:flow_started' }],
    description: '`appcues:flow_started`.',
    contentIdPaths: ['flowId'],
    attributes: FLOW_ID,
    sample: FLOW_STARTED_SAMPLE,
  },
  {
    id: 'flow_completed',
    label: 'Web Flow Completed',
    source: 'appcues',
    recognisedBy: [{ name: 'appcues:flow_completed' }],
    description: '`appcues:flow_completed`.',
    contentIdPaths: ['flowId'],
    attributes: FLOW_ID,
    sample: FLOW_COMPLETED_SAMPLE,
  },
  {
    id: 'flow_skipped',
    label: 'Web Flow Skipped',
    source: 'appcues',
    recognisedBy: [{ name: 'appcues:flow_skipped' }],
    description: '`appcues:flow_skipped`.',
    contentIdPaths: ['flowId'],
    attributes: FLOW_ID,
    sample: FLOW_SKIPPED_SAMPLE,
  },
  {
    id: 'flow_button_clicked',
    label: 'Web Flow Button Clicked',
    source: 'appcues',
    recognisedBy: [{ name: 'appcues:step_interacted', when: attributeIs('interactionType', 'click') }],
    description:
      '`appcues:step_interacted` with `attributes.interactionType` `click`; other interactions are custom events.',
    contentIdPaths: ['flowId'],
    attributes: requires({ flowId: CONTENT_ID, interactionType: { const: 'click' } }),
    sample: FLOW_BUTTON_CLICKED_SAMPLE,
  },
  {
    id: 'flow_form_submitted',
    label: 'Web Flow Form Submitted',
    source: 'appcues',
    recognisedBy: [{ name: 'appcues:form_submitted' }],
    description: '`appcues:form_submitted`.',
    contentIdPaths: ['flowId'],
    attributes: FLOW_ID,
    sample: FLOW_FORM_SUBMITTED_SAMPLE,
  },
  {
    id: 'checklist_item_completed',
    label: 'Checklist Item Completed',
    source: 'appcues',
    recognisedBy: [{ name: 'appcues:checklist_item_completed' }, { name: 'checklist_item_completed' }],
    description: '`appcues:checklist_item_completed`, or Usetiful’s `checklist_item_completed`.',
    contentIdPaths: ['checklistId'],
    attributes: CHECKLIST_ID,
    sample: CHECKLIST_ITEM_COMPLETED_SAMPLE,
  },
  {
    id: 'checklist_completed',
    label: 'Checklist Completed',
    source: 'appcues',
    recognisedBy: [{ name: 'appcues:checklist_completed' }, { name: 'checklist_completed' }],
    description: '`appcues:checklist_completed`, or Usetiful’s `checklist_completed`.',
    contentIdPaths: ['checklistId'],
    attributes: CHECKLIST_ID,
    sample: CHECKLIST_COMPLETED_SAMPLE,
  },
  {
    id: 'checklist_skipped',
    label: 'Checklist Skipped',
    source: 'appcues',
    recognisedBy: [{ name: 'appcues:checklist_skipped' }],
    description: '`appcues:checklist_skipped`.',
    contentIdPaths: ['checklistId'],
    attributes: CHECKLIST_ID,
    sample: CHECKLIST_SKIPPED_SAMPLE,
  },
  {
    id: 'checklist_shown',
    label: 'Checklist Shown',
    source: 'appcues',
    recognisedBy: [{ name: 'appcues:checklist_shown' }],
    description: '`appcues:checklist_shown`.',
    contentIdPaths: ['checklistId'],
    attributes: CHECKLIST_ID,
    sample: CHECKLIST_SHOWN_SAMPLE,
  },
  {
    id: 'mobile_flow_started',
    label: 'Mobile Flow Started',
    source: 'appcues',
    recognisedBy: [
      { name: 'appcues:v2:step_interaction', when: attributeIs('experienceType', 'mobile') },
      { name: 'appcues:v2:experience_started', when: attributeIs('experienceType', 'mobile') },
    ],
    description:
      '`appcues:v2:step_interaction` or `appcues:v2:experience_started` with `attributes.experienceType` `mobile`.',
    contentIdPaths: ['experienceId'],
    attributes: requires({ experienceId: CONTENT_ID, experienceType: { const: 'mobile' } }),
    sample: MOBILE_FLOW_STARTED_SAMPLE,
  },
  {
    id: 'pin_interacted',
    label: 'Pin Interacted',
    source: 'appcues',
    recognisedBy: [
      { name: 'appcues:v2:step_interaction', when: attributeIs('experienceType', 'persistent') },
    ],
    description: '`appcues:v2:step_interaction` with `attributes.experienceType` `persistent`.',
    contentIdPaths: ['experienceId'],
    attributes: requires({ experienceId: CONTENT_ID, experienceType: { const: 'persistent' } }),
    sample: PIN_INTERACTED_SAMPLE,
  },
  {
    id: 'tour_completed',
    label: 'Tour Completed',
    source: 'usetiful',
    recognisedBy: [{ name: 'tour_completed' }],
    description: '`tour_completed`; the content id is `attributes.contentId`, else `attributes.tourId`.',
    contentIdPaths: ['contentId', 'tourId'],
    attributes: requiresEither('contentId', 'tourId'),
    sample: TOUR_COMPLETED_SAMPLE,
  },
  {
    id: 'checklist_dismissed',
    label: 'Checklist Dismissed',
    source: 'usetiful',
    recognisedBy: [{ name: 'checklist_dismissed' }],
    description:
      '`checklist_dismissed`; the content id is `attributes.contentId`, else `attributes.checklistId`.',
    contentIdPaths: ['contentId', 'checklistId'],
    attributes: requiresEither('contentId', 'checklistId'),
    sample: CHECKLIST_DISMISSED_SAMPLE,
  },
  {
    id: 'banner_seen',
    label: 'Banner Seen',
    source: 'usetiful',
    recognisedBy: [{ name: 'banner_seen' }],
    description: '`banner_seen`; the content id is `attributes.contentId`, else `attributes.bannerId`.',
    contentIdPaths: ['contentId', 'bannerId'],
    attributes: requiresEither('contentId', 'bannerId'),
    sample: BANNER_SEEN_SAMPLE,
  },
  {
    id: 'banner_closed',
    label: 'Banner Closed',
    source: 'usetiful',
    recognisedBy: [{ name: 'banner_closed' }],
    description: '`banner_closed`; the content id is `attributes.contentId`, else `attributes.bannerId`.',
    contentIdPaths: ['contentId', 'bannerId'],
    attributes: requiresEither('contentId', 'bannerId'),
    sample: BANNER_CLOSED_SAMPLE,
  },
  {
    id: 'user_created',
    label: 'User Created',
    source: 'usetiful',
    recognisedBy: [{ name: 'user_created' }],
    description: '`user_created`; it has no content id.',
    contentIdPaths: [],
    attributes: undefined,
    sample: USER_CREATED_SAMPLE,
  },
  {
    id: 'user_tag_added',
    label: 'User Tag Added',
    source: 'usetiful',
    recognisedBy: [{ name: 'user_tag_added' }],
    description: '`user_tag_added`; the content id is the tag, `attributes.tag`.',
    contentIdPaths: ['tag'],
    attributes: requires({ tag: TAG }),
    sample: USER_TAG_ADDED_SAMPLE,
  },
  {
    id: 'script_tag_set',
    label: 'Script Tag Set',
    source: 'usetiful',
    recognisedBy: [{ name: 'script_tag_set' }],
    description: '`script_tag_set`; the content id is the tag, `attributes.tag`.',
    contentIdPaths: ['tag'],
    attributes: requires({ tag: TAG }),
    sample: SCRIPT_TAG_SET_SAMPLE,
  },
  {
    id: 'auto_segment_changed',
    label: 'Auto Segment Changed',
    source: 'usetiful',
    recognisedBy: [{ name: 'auto_segment_changed' }],
    description: '`auto_segment_changed`; the content id is `attributes.segmentId`.',
    contentIdPaths: ['segmentId'],
    attributes: requires({ segmentId: CONTENT_ID }),
    sample: AUTO_SEGMENT_CHANGED_SAMPLE,
  },
];

/** The attributes every operational event has (see OPERATIONAL_EVENT_TYPES). */
const OPERATIONAL_ATTRIBUTES = {
  webhookId: { type: 'string', description: 'The webhook the event is about' },
  webhookName: { type: 'string' },
  webhookUrl: { type: 'string' },
  deliveryId: {
    type: ['string', 'null'],
    description: 'The delivery whose attempt caused the event; null when an admin disabled the webhook',
  },
  eventId: {
    type: ['string', 'null'],
    description:
      'The event that delivery carries (the first of a batch); null when an admin disabled the webhook',
  },
  lastStatus: {
    type: ['integer', 'null'],
    description: "The last attempt's HTTP status; null without an answer",
  },
} as const;

function operationalSample(name: string, extra: Record<string, unknown>, lastStatus: number | null) {
  return {
    account_id: 'acc_01hzx6r7d2b7s6n5k4q3p2m1c0',
    attributes: {
      webhookId: 'wh_01hzx6t0a7c8m2n3p4q5r6s7t8',
      webhookName: 'CRM',
      webhookUrl: 'https://crm.example.com/hooks/appcues',
      deliveryId: 'dlv_01hzx6w4e5f6g7h8j9k0m1n2p3',
      eventId: '7ed17098-dcb0-4602-a9d7-8e7605577f19',
      lastStatus,
      ...extra,
    },
    context: null,
    group_id: null,
    id: 'op_01hzx6y8b9c0d1e2f3g4h5j6k7',
    ingested_at: 1684439316408,
    name,
    timestamp: 1684439316408,
    user_id: 'hooklane',
  };
}

/**
 * Hooklane's own events about an account's webhooks, ingested into that account like any
 * other event. Kept apart from EVENT_TYPES (the product events senders send); a webhook gets
 * them only by naming them in `events` (`*` does not include them), and never one about itself.
 */
const OPERATIONAL_DEFINITIONS: readonly Definition[] = [
  {
    id: 'hooklane.webhook.failing',
    label: 'Webhook Failing',
    source: 'hooklane',
    recognisedBy: [{ name: 'hooklane.webhook.failing' }],
    description: "A webhook's 4th attempt in a row failed; the content id is `attributes.webhookId`.",
    contentIdPaths: ['webhookId'],
    attributes: requires({ ...OPERATIONAL_ATTRIBUTES, consecutiveFailures: { type: 'integer' } }),
    sample: operationalSample('hooklane.webhook.failing', { consecutiveFailures: 4 }, 500),
  },
  {
    id: 'hooklane.webhook.disabled',
    label: 'Webhook Disabled',
    source: 'hooklane',
    recognisedBy: [{ name: 'hooklane.webhook.disabled' }],
    description:
      'A webhook was disabled: `reason` is `gone` (it answered 410), `failing_since` (it kept failing) or `manual` (an admin); the content id is `attributes.webhookId`.',
    contentIdPaths: ['webhookId'],
    attributes: requires({
      ...OPERATIONAL_ATTRIBUTES,
      reason: { type: 'string', enum: ['gone', 'failing_since', 'manual'] },
    }),
    sample: operationalSample('hooklane.webhook.disabled', { reason: 'gone' }, 410),
  },
  {
    id: 'hooklane.webhook.recovered',
    label: 'Webhook Recovered',
    source: 'hooklane',
    recognisedBy: [{ name: 'hooklane.webhook.recovered' }],
    description: 'A failing webhook answered with success again; the content id is `attributes.webhookId`.',
    contentIdPaths: ['webhookId'],
    attributes: requires({ ...OPERATIONAL_ATTRIBUTES }),
    sample: operationalSample('hooklane.webhook.recovered', {}, 200),
  },
  {
    id: 'hooklane.delivery.exhausted',
    label: 'Delivery Exhausted',
    source: 'hooklane',
    recognisedBy: [{ name: 'hooklane.delivery.exhausted' }],
    description: 'A delivery used up its attempts and failed; the content id is `attributes.webhookId`.',
    contentIdPaths: ['webhookId'],
    attributes: requires({ ...OPERATIONAL_ATTRIBUTES, attemptCount: { type: 'integer' } }),
    sample: operationalSample('hooklane.delivery.exhausted', { attemptCount: 8 }, 503),
  },
];

function schemaOf(definition: Definition, names: readonly string[]): Record<string, unknown> {
  const required =
    definition.attributes === undefined ? ['name', 'user_id'] : ['name', 'user_id', 'attributes'];
  return {
    $schema: DRAFT_07,
    title: definition.label,
    description: definition.description,
    type: 'object',
    required,
    properties: {
      ...ENVELOPE_PROPERTIES,
      name: { ...ENVELOPE_PROPERTIES.name, enum: names },
      attributes: definition.attributes ?? ENVELOPE_PROPERTIES.attributes,
    },
  };
}

/** Every catalog type, in the catalog's documented order. */
export const EVENT_TYPES: readonly EventType[] = deepFreeze(DEFINITIONS.map(toEventType));

/** Hooklane's own events about webhooks (`hooklane.webhook.disabled`, ...), with schemas and samples. */
export const OPERATIONAL_EVENT_TYPES: readonly EventType[] = deepFreeze(
  OPERATIONAL_DEFINITIONS.map(toEventType),
);

/** The prefix of Hooklane's own event names and ids, which senders cannot use. */
export const OPERATIONAL_PREFIX = 'hooklane.';

/**
 * The field of a sender's event that takes Hooklane's own prefix (`/name`, then `/id`), or
 * undefined: an id taken would store the sender's event in place of an operational one.
 */
export function reservedFieldOf(event: {
  readonly name?: unknown;
  readonly id?: unknown;
}): '/name' | '/id' | undefined {
  if (typeof event.name === 'string' && event.name.startsWith(OPERATIONAL_PREFIX)) return '/name';
  if (typeof event.id === 'string' && event.id.startsWith(OPERATIONAL_PREFIX)) return '/id';
  return undefined;
}

function toEventType(definition: Definition): EventType {
  const names = [...new Set(definition.recognisedBy.map((recognition) => recognition.name))];
  return {
    id: definition.id,
    label: definition.label,
    source: definition.source,
    names,
    description: definition.description,
    contentIdPaths: definition.contentIdPaths,
    schema: schemaOf(definition, names),
    sample: definition.sample,
  };
}

const ALL_DEFINITIONS = [...DEFINITIONS, ...OPERATIONAL_DEFINITIONS];
const ALL_TYPES = [...EVENT_TYPES, ...OPERATIONAL_EVENT_TYPES];
const BY_ID: ReadonlyMap<string, EventType> = new Map(ALL_TYPES.map((type) => [type.id, type]));

interface Candidate {
  readonly type: EventType;
  readonly when: Condition | undefined;
}

/**
 * Candidates per event name. Conditional candidates come before the unconditional one, so that
 * `appcues:nps_score` with feedback and no score is NPS Feedback, and otherwise NPS Score.
 */
const BY_NAME: ReadonlyMap<string, readonly Candidate[]> = (() => {
  const byName = new Map<string, Candidate[]>();
  ALL_DEFINITIONS.forEach((definition, index) => {
    const type = ALL_TYPES[index]!;
    for (const { name, when } of definition.recognisedBy) {
      const candidates = byName.get(name) ?? [];
      candidates.push({ type, when });
      byName.set(name, candidates);
    }
  });
  for (const candidates of byName.values()) {
    // Array.prototype.sort is stable: catalog order holds within each group.
    candidates.sort((a, b) => Number(a.when === undefined) - Number(b.when === undefined));
  }
  return byName;
})();

const NO_ATTRIBUTES: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Finds a catalog type by its id.
 *
 * @example
 * findEventType('flow_completed')?.label; // 'Web Flow Completed'
 */
export function findEventType(id: string): EventType | undefined {
  return BY_ID.get(id);
}

/**
 * Which catalog type an event is, by its name and attributes; `undefined` means a custom event.
 *
 * Only the name and attributes are read, and nothing is validated: an `appcues:flow_completed`
 * without a `flowId` is still Web Flow Completed (and validation then refuses it).
 *
 * @example
 * recognise({ name: 'appcues:step_interacted', attributes: { interactionType: 'click' } })?.id;
 * // 'flow_button_clicked'
 */
export function recognise(event: { name: string; attributes?: unknown }): EventType | undefined {
  const candidates = BY_NAME.get(event.name);
  if (candidates === undefined) return undefined;
  const attributes = isPlainObject(event.attributes) ? event.attributes : NO_ATTRIBUTES;
  for (const { type, when } of candidates) {
    if (when === undefined || when(attributes)) return type;
  }
  return undefined;
}

/**
 * The content id of an event: the first of the type's `contentIdPaths` holding a non-empty
 * string or a finite number (stringified); `null` for custom events and when none does.
 *
 * @example
 * contentIdOf(findEventType('tour_completed'), { attributes: { tourId: 42 } }); // '42'
 */
export function contentIdOf(type: EventType | undefined, event: { attributes?: unknown }): string | null {
  if (type === undefined || !isPlainObject(event.attributes)) return null;
  const attributes = event.attributes;
  for (const path of type.contentIdPaths) {
    if (!Object.hasOwn(attributes, path)) continue;
    const value = attributes[path];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return null;
}

/**
 * The public JSON shape of a type, as `GET /v1/event-types` serves it (snake_case, mutable
 * copies of the schema and sample).
 */
export function toPublicEventType(type: EventType): Record<string, unknown> {
  return {
    id: type.id,
    label: type.label,
    source: type.source,
    names: [...type.names],
    description: type.description,
    content_id_paths: [...type.contentIdPaths],
    schema: structuredClone(type.schema),
    sample: structuredClone(type.sample),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
