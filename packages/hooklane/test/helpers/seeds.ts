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
