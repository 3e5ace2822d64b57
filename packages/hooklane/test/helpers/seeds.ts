import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/** The 13 seed payloads (test/fixtures/appcues-examples.json, a copy of the Appcues examples in shared/fixtures). */
export interface Seed {
  readonly title: string;
  readonly payload: Record<string, any>;
}

export function loadSeeds(): Seed[] {
  const url = new URL('../fixtures/appcues-examples.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Seed[];
}

/** A fresh copy of the payload of the seed with this title. */
export function seedPayload(title: string): Record<string, any> {
  const found = loadSeeds().find((seed) => seed.title === title);
  assert.ok(found, `no seed titled ${title}`);
  return structuredClone(found.payload);
}
