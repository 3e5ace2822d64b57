import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';
import { ERROR_CATALOGUE } from '../../src/core/errors.ts';
import { documentationFiles, headingAnchors, linkTargets, REPO_ROOT, readRepoFile } from './markdown.ts';

/** The README is read in five minutes; the performance page is one method and one table. */
const SIZE_LIMITS = { 'README.md': 10 * 1024, 'docs/performance.md': 10 * 1024 };

test('README.md and docs/performance.md stay within 10 KB', () => {
  for (const [path, limit] of Object.entries(SIZE_LIMITS)) {
    const size = statSync(join(REPO_ROOT, path)).size;
    assert.ok(size <= limit, `${path} is ${size} bytes, over ${limit}`);
  }
});

test('every relative link in README.md and docs/ points to a file that exists (and a heading, with #)', () => {
  const files = documentationFiles();
  assert.ok(files.includes('docs/api.md'), files.join(', '));
  const broken: string[] = [];
  for (const file of files) {
    const markdown = readRepoFile(file);
    for (const target of linkTargets(markdown)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
      const [path = '', anchor] = target.split('#');
      const resolved = path === '' ? file : normalize(join(dirname(file), decodeURI(path)));
      if (!existsSync(join(REPO_ROOT, resolved))) {
        broken.push(`${file}: ${target} (no ${resolved})`);
      } else if (anchor !== undefined && resolved.endsWith('.md')) {
        if (!headingAnchors(readRepoFile(resolved)).has(anchor))
          broken.push(`${file}: ${target} (no heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

test('docs/api.md lists every code of the error catalogue with its status', () => {
  const api = readRepoFile('docs/api.md');
  for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) {
    const row = new RegExp(`^\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`, 'm');
    assert.match(api, row, `docs/api.md has no table row "| \`${code}\` | ${status} |"`);
  }
});

test('no user document names the internal notes it came from', () => {
  for (const file of documentationFiles()) {
    const text = readRepoFile(file);
    for (const phrase of [
      /SPEC\s*§/,
      /the PostgreSQL issue/i,
      /\b(second|fourth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth) machine\b/i,
    ]) {
      assert.doesNotMatch(text, phrase, `${file} mentions ${phrase}`);
    }
  }
});

test('docs/decisions/README.md lists every decision record', () => {
  const index = readRepoFile('docs/decisions/README.md');
  const records = documentationFiles().filter(
    (file) => file.startsWith('docs/decisions/') && file !== 'docs/decisions/README.md',
  );
  assert.ok(records.length >= 4, records.join(', '));
  for (const record of records) {
    const name = record.slice('docs/decisions/'.length);
    assert.ok(linkTargets(index).includes(name), `docs/decisions/README.md does not link ${name}`);
  }
});

test('every docs/*.md that the code names exists', () => {
  const missing: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist' && entry.name !== 'results') walk(path);
      } else if (/\.(ts|js|json|sql)$/.test(entry.name)) {
        for (const [doc] of readRepoFile(path).matchAll(/\bdocs\/[\w./-]+\.md\b/g)) {
          if (!existsSync(join(REPO_ROOT, doc))) missing.push(`${path} names ${doc}`);
        }
      }
    }
  };
  walk('packages');
  assert.deepEqual(missing, []);
});
