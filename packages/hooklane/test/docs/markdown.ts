import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root, where README.md and docs/ live. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * The shell blocks of a Markdown text that follow a `<!-- name -->` marker line (blank lines
 * between the marker and the fence are allowed), in order. A marker with no ```sh block right
 * after it is an error, so a reworded README cannot silently drop a block from its test.
 */
export function markedShellBlocks(markdown: string, name: string): string[] {
  const lines = markdown.split('\n');
  const blocks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== `<!-- ${name} -->`) continue;
    let start = i + 1;
    while (start < lines.length && lines[start]?.trim() === '') start++;
    if (!/^```(sh|bash)\s*$/.test(lines[start] ?? '')) {
      throw new Error(`line ${i + 1}: <!-- ${name} --> is not followed by a \`\`\`sh block`);
    }
    const end = lines.findIndex((line, j) => j > start && line.startsWith('```'));
    if (end === -1) throw new Error(`line ${start + 1}: unterminated code block`);
    blocks.push(lines.slice(start + 1, end).join('\n'));
    i = end;
  }
  return blocks;
}

/** Every Markdown file of the user documentation: README.md and docs/, recursively. */
export function documentationFiles(): string[] {
  const files = ['README.md'];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  return files;
}

export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/** The link targets of a Markdown text, `[text](target)`, outside code blocks and code spans. */
export function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1] ?? '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchors(markdown: string): Set<string> {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const anchors = new Set<string>();
  for (const match of prose.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)) {
    const slug = (match[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    let anchor = slug;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${slug}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}
