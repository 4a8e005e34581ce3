/**
 * Scenario text -> plain object, keeping a way back from any path to its line and column.
 * YAML is a superset of JSON, so `.json` scenarios go through the same parser and get locations too.
 */
import { readFile } from 'node:fs/promises';

import { isMap, isNode, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml';

import { GlassbenchError } from '../errors.js';

export type PathSegment = string | number;

export interface LoadedDocument {
  /** the file name used in messages */
  file: string;
  value: unknown;
  /** `file:line:col` of the node at `path` (or of its nearest existing parent) */
  locate(path: readonly PathSegment[], options?: { key?: boolean }): string;
}

/** Formats a path as `peers[1].video.fps`. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text === '' ? '(root)' : text;
}

/** A JSON pointer (ajv's `instancePath`: `/peers/1/video`) as path segments, array indices as numbers. */
export function pathOf(instancePath: string): PathSegment[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Limits that keep a hostile file from exhausting memory or the stack (alias expansion, size, nesting). */
const MAX_SCENARIO_BYTES = 1024 * 1024;
const MAX_DEPTH = 64;

/** How deeply a parsed value nests (iteratively: the value may be too deep to recurse over). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_DEPTH) return deepest;
    if (node !== null && typeof node === 'object')
      for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** YAML or JSON text -> a located document; `what` names the file in the size refusal (a k6 summary, say). */
export function parseScenarioText(text: string, file: string, what = 'scenario'): LoadedDocument {
  if (Buffer.byteLength(text) > MAX_SCENARIO_BYTES) {
    throw new GlassbenchError('INVALID_INPUT', `${file}: ${what} is larger than 1 MiB`, {
      problems: [`${file}:1:1 (root): ${what} is larger than 1 MiB`],
    });
  }
  const lineCounter = new LineCounter();
  const fail = (reason: string): never => {
    throw new GlassbenchError('INVALID_INPUT', `${file}: ${reason}`, { problems: [`${file}:1:1 (root): ${reason}`] });
  };
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (error) {
    // the parser gave up (a stack overflow on absurd nesting, say): still a located, readable refusal
    return fail(`cannot be parsed: ${(error as Error).message}`);
  }
  const at = (offset: number): string => {
    const pos = lineCounter.linePos(offset);
    return `${file}:${pos.line}:${pos.col}`;
  };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => `${at(e.pos[0])} (syntax): ${e.message.split('\n')[0]}`);
    throw new GlassbenchError('INVALID_INPUT', `${file}: not valid YAML or JSON`, { problems });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return fail((error as Error).message);
  }
  if (depthOf(value) > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);

  const locate = (path: readonly PathSegment[], options: { key?: boolean } = {}): string => {
    let node: unknown = doc.contents;
    let best: Node | undefined = isNode(node) ? node : undefined;
    for (const [i, segment] of path.entries()) {
      if (!isNode(node) || !('items' in node)) break;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) break;
        if (last && options.key && isNode(pair.key)) {
          best = pair.key;
          break;
        }
        node = pair.value;
      } else {
        node = (node.items as unknown[])[Number(segment)];
      }
      if (isNode(node)) best = node;
      else break;
    }
    return at(best?.range?.[0] ?? 0);
  };
  return { file, value, locate };
}

/** Reads a YAML or JSON file into a located document (a scenario, or another input: `what` names it). */
export async function loadScenarioFile(path: string, what = 'scenario'): Promise<LoadedDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new GlassbenchError('INVALID_INPUT', `${path}: ${reason}`, { problems: [`${path}: ${reason}`] });
  }
  return parseScenarioText(text, path, what);
}
