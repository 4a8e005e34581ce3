/**
 * What every scenario normaliser shares: the list of located problems (`file:line:col path: reason`), how a
 * value is shown in a message, reading a duration with its default, and naming an unknown key.
 */
import { distance } from 'fastest-levenshtein';

import { parseDurationMs } from './duration.js';
import { formatPath, type LoadedDocument, type PathSegment } from './load.js';

export class Problems {
  constructor(
    private readonly doc: LoadedDocument,
    readonly list: string[] = [],
    private readonly prefix: PathSegment[] = [],
  ) {}

  /** The same list, with every path under `prefix` (a variant's own `ai` block). */
  under(prefix: PathSegment[]): Problems {
    return new Problems(this.doc, this.list, [...this.prefix, ...prefix]);
  }

  /** Orders problems as they appear in the file. */
  sortByPlace(): void {
    const place = (text: string): number[] => /:(\d+):(\d+) /.exec(text)?.slice(1).map(Number) ?? [0, 0];
    this.list.sort((a, b) => {
      const [la = 0, ca = 0] = place(a);
      const [lb = 0, cb = 0] = place(b);
      return la - lb || ca - cb;
    });
  }

  add(relative: PathSegment[], reason: string, options: { key?: boolean } = {}): void {
    const path = [...this.prefix, ...relative];
    this.list.push(`${this.doc.locate(path, options)} ${formatPath(path)}: ${reason}`);
  }
}

/** A value as a message shows it: JSON, cut at 60 characters. */
export function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * The duration at `raw[key]` in ms, or `fallbackMs` when the key is absent (or when it is not a duration: a
 * problem at `path.key` says so).
 */
export function durationAt<T extends object>(
  problems: Problems,
  raw: T,
  key: keyof T & string,
  path: PathSegment[],
  fallbackMs: number,
): number {
  const value: unknown = raw[key];
  if (value === undefined) return fallbackMs;
  const ms = parseDurationMs(value);
  if (ms === undefined) {
    problems.add([...path, key], `must be a duration like 10s, 500ms, 2m or a number of ms, got ${show(value)}`);
    return fallbackMs;
  }
  return ms;
}

/** `unknown key`, with the nearest known key when one is close (a typo), else the known keys. */
export function unknownKey(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== undefined && bestDistance <= (best.length >= 4 ? Math.max(2, Math.floor(best.length / 3)) : 1))
    return `unknown key (did you mean "${best}"?)`;
  return known.length > 0 && known.length <= 12 ? `unknown key (known here: ${known.join(', ')})` : 'unknown key';
}
