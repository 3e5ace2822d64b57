import { readFileSync } from 'node:fs';

/** The 13 seed payloads of ../shared/fixtures/appcues-examples.json. */
export interface Seed {
  readonly title: string;
  readonly payload: Record<string, any>;
}

export function loadSeeds(): Seed[] {
  const url = new URL('../../../../../shared/fixtures/appcues-examples.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Seed[];
}
