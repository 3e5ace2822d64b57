/**
 * What the CLI prints: colours (only on a terminal, never with NO_COLOR), aligned tables,
 * key–value blocks, JSON, and a progress bar. Results go to stdout; progress, hints and
 * errors go to stderr, so `--json` output and pipes stay clean.
 */
import { stripVTControlCharacters } from 'node:util';

type Env = Readonly<Record<string, string | undefined>>;
type Stream = { readonly isTTY?: boolean; write(text: string): unknown };

export type Paint = (text: string) => string;

export interface Palette {
  readonly enabled: boolean;
  readonly bold: Paint;
  readonly dim: Paint;
  readonly red: Paint;
  readonly green: Paint;
  readonly yellow: Paint;
  readonly cyan: Paint;
}

/** Colour on a TTY unless NO_COLOR is set (https://no-color.org); FORCE_COLOR turns it on elsewhere. */
export function colourEnabled(stream: Stream, env: Env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function palette(stream: Stream, env: Env): Palette {
  const enabled = colourEnabled(stream, env);
  const sgr =
    (open: number, close: number): Paint =>
    (text) =>
      enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return {
    enabled,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
  };
}

const visibleLength = (text: string): number => stripVTControlCharacters(text).length;
const padEnd = (text: string, width: number): string =>
  text + ' '.repeat(Math.max(0, width - visibleLength(text)));

/** Columns padded to their widest cell; the last column is not padded. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  paint: Palette,
): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => visibleLength(row[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : padEnd(cell, widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [paint.bold(line(header)), ...rows.map(line)].join('\n');
}

/** `name  value` lines for one object. */
export function fields(pairs: readonly (readonly [string, string])[], paint: Palette): string {
  const width = Math.max(...pairs.map(([name]) => name.length));
  return pairs.map(([name, value]) => `${paint.dim(name.padEnd(width))}  ${value}`).join('\n');
}

/** A delivery status or HTTP status, coloured by how it went. */
export function paintStatus(status: string | number | null, paint: Palette): string {
  if (status === null) return paint.dim('-');
  const text = String(status);
  if (typeof status === 'number') {
    if (status >= 200 && status < 300) return paint.green(text);
    if (status >= 500) return paint.red(text);
    return paint.yellow(text);
  }
  if (status === 'succeeded') return paint.green(text);
  if (status === 'failed' || status === 'error') return paint.red(text);
  if (status === 'pending') return paint.yellow(text);
  return paint.dim(text);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function printNote(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** The API's JSON, pretty-printed, on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/**
 * A one-line progress bar on stderr, redrawn in place on a terminal. Elsewhere (CI logs,
 * pipes) it prints nothing until `finish`, which always prints one final line.
 */
export class ProgressBar {
  readonly #stream: Stream;
  readonly #paint: Palette;
  readonly #live: boolean;
  readonly #label: string;
  #total: number;
  #done = 0;

  constructor(label: string, total: number, env: Env, stream: Stream = process.stderr) {
    this.#stream = stream;
    this.#paint = palette(stream, env);
    this.#live = stream.isTTY === true;
    this.#label = label;
    this.#total = total;
    this.#draw();
  }

  update(done: number, total: number = this.#total): void {
    this.#done = Math.min(done, total);
    this.#total = total;
    this.#draw();
  }

  finish(message: string): void {
    if (this.#live) this.#stream.write('\r\x1b[2K');
    this.#stream.write(`${message}\n`);
  }

  #draw(): void {
    if (!this.#live) return;
    const width = 30;
    const ratio = this.#total === 0 ? 1 : this.#done / this.#total;
    const filled = Math.round(ratio * width);
    const bar = this.#paint.green('█'.repeat(filled)) + this.#paint.dim('░'.repeat(width - filled));
    this.#stream.write(`\r\x1b[2K${this.#label} ${bar} ${this.#done}/${this.#total}`);
  }
}

/** Local `YYYY-MM-DD HH:MM:SS`, as log lines show time. */
export function localTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * A one-line chart of counts, one character per count (`·` for none, `▁`…`█` up to the
 * largest); past `width` counts, neighbours are summed so that the line stays short.
 */
export function sparkline(counts: readonly number[], width = 48): string {
  const per = Math.max(1, Math.ceil(counts.length / width));
  const columns: number[] = [];
  for (let i = 0; i < counts.length; i += per) {
    columns.push(counts.slice(i, i + per).reduce((sum, n) => sum + n, 0));
  }
  const max = Math.max(0, ...columns);
  return columns
    .map((n) => (n === 0 ? '·' : BARS[Math.min(BARS.length - 1, Math.ceil((n / max) * BARS.length) - 1)]))
    .join('');
}

/** A success rate (0–1) as a percentage; `-` when nothing settled. */
export function percent(rate: number | null): string {
  if (rate === null) return '-';
  return `${Number((rate * 100).toFixed(1))}%`;
}
