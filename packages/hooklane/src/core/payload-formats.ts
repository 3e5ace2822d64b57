import { PRESET_FORMATS, type PresetFormat, presetTemplate, renderPreset } from './destination-presets.ts';
import type { PayloadFormat, StoredEvent } from './model.ts';
import {
  parseTemplate,
  renderTemplate,
  type TemplateDefinition,
  templateUsesSecret,
} from './payload-template.ts';
import { TRIGGER_PREFIX } from './publishable.ts';

/** A browser trigger in the shape of Usetiful's *Trigger event* step: the data beside the events. */
function usetifulTrigger(webhookName: string, event: StoredEvent): string {
  const { attributes } = JSON.parse(event.body) as { attributes?: unknown };
  return JSON.stringify({
    name: webhookName,
    userId: event.userId,
    events: [{ name: 'trigger', trigger: event.name.slice(TRIGGER_PREFIX.length), contentId: null }],
    data: attributes ?? {},
  });
}

/**
 * Builds the request body of a delivery from its stored events: a pure function of
 * stored data, so every retry sends byte-identical bodies.
 */
export function buildPayload(
  format: PayloadFormat,
  webhookName: string,
  events: readonly StoredEvent[],
): string {
  const first = events[0];
  if (!first) throw new Error('a delivery has at least one event');
  switch (format) {
    case 'appcues':
      return first.body;
    case 'standard':
      return `{"type":${JSON.stringify(first.typeId ?? first.name)},"timestamp":${JSON.stringify(
        new Date(first.occurredAt).toISOString(),
      )},"data":${first.body}}`;
    case 'usetiful':
      if (first.name.startsWith(TRIGGER_PREFIX)) return usetifulTrigger(webhookName, first);
      return JSON.stringify({
        name: webhookName,
        userId: first.userId,
        events: events.map((event) => ({ name: event.typeId ?? event.name, contentId: event.contentId })),
      });
    default:
      throw new Error(`the ${format} format renders a template: use renderDeliveryBody`);
  }
}

/**
 * Whether deliveries in this format carry the webhook's secret in their body (`{{$secret}}`:
 * `google_sheets`, or a template naming it). A template that does not parse carries nothing.
 */
export function bodyCarriesSecret(
  format: PayloadFormat,
  template: TemplateDefinition | null | undefined,
): boolean {
  if (!isTemplated(format)) return false;
  const definition = format === 'template' ? template : presetTemplate(format);
  if (definition === null || definition === undefined) return false;
  const parsed = parseTemplate(definition);
  return parsed.ok && templateUsesSecret(parsed.template);
}

/** The formats whose body is a payload template: `template` and the ready-made ones. */
export function isTemplated(format: PayloadFormat): format is 'template' | PresetFormat {
  return format === 'template' || (PRESET_FORMATS as readonly string[]).includes(format);
}

export type DeliveryBody =
  | { readonly ok: true; readonly body: string; readonly contentType: string }
  | { readonly ok: false; readonly error: string };

/**
 * The body and content type of a delivery: `buildPayload` for the fixed formats; for a
 * template or a ready-made format, its render for the delivery's (first) event, which fails
 * with a message when the event lacks what the template needs. `secret` is the webhook's
 * newest secret in clear, for `{{$secret}}` (`google_sheets` sends it as `token`).
 */
export function renderDeliveryBody(
  format: PayloadFormat,
  webhook: { readonly name: string; readonly template?: TemplateDefinition | null | undefined },
  events: readonly StoredEvent[],
  secret: string | null,
): DeliveryBody {
  if (!isTemplated(format)) {
    return { ok: true, body: buildPayload(format, webhook.name, events), contentType: 'application/json' };
  }
  const first = events[0];
  if (!first) throw new Error('a delivery has at least one event');
  const event: unknown = JSON.parse(first.body);
  if (format !== 'template') return renderPreset(format, event, { secret });
  const template = parsedTemplateOf(webhook.template);
  if (!template.ok) return { ok: false, error: template.error };
  return renderTemplate(template.template, event, { secret });
}

const parsedTemplates = new WeakMap<TemplateDefinition, ReturnType<typeof parseTemplateOnce>>();

function parseTemplateOnce(definition: TemplateDefinition) {
  const parsed = parseTemplate(definition);
  return parsed.ok
    ? ({ ok: true, template: parsed.template } as const)
    : ({ ok: false, error: `The webhook's template is invalid: ${parsed.problems[0]?.message}` } as const);
}

/** A webhook's template, parsed once per template object (a kept webhook parses it once). */
function parsedTemplateOf(definition: TemplateDefinition | null | undefined) {
  if (definition === null || definition === undefined) {
    return { ok: false, error: 'The webhook has no template any more (its format changed).' } as const;
  }
  let parsed = parsedTemplates.get(definition);
  if (parsed === undefined) {
    parsed = parseTemplateOnce(definition);
    parsedTemplates.set(definition, parsed);
  }
  return parsed;
}
