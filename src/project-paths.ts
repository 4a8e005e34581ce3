/**
 * Paths of the scripts that run in child processes (peer runners, the reference SFU). They always run from
 * the compiled `dist/` tree, also when the harness itself is loaded from TypeScript sources (tests).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { GlassbenchError } from './errors.js';

export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new GlassbenchError('RUN_FAILED', 'cannot find the glassbench package root');
    dir = parent;
  }
  return dir;
}

/** `childEntry('src/peers/runner-process')` -> absolute path of its compiled `.js`. */
export function childEntry(modulePath: string): string {
  const path = join(projectRoot(), 'dist', `${modulePath}.js`);
  if (!existsSync(path)) {
    throw new GlassbenchError('RUN_FAILED', `${path} is missing: run "npm run build" first`);
  }
  return path;
}

let version: string | undefined;
let commit: string | undefined;
/** The version in glassbench's package.json. */
export function glassbenchVersion(): string {
  version ??= (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

/** The commit glassbench was built from (dist/build-info.json, written by `npm run build`), or "unknown". */
export function glassbenchCommit(): string {
  if (commit === undefined) {
    try {
      const info = JSON.parse(readFileSync(join(projectRoot(), 'dist', 'build-info.json'), 'utf8')) as unknown;
      const value = (info as { commit?: unknown } | null)?.commit;
      commit = typeof value === 'string' && value !== '' ? value : 'unknown';
    } catch {
      commit = 'unknown';
    }
  }
  return commit;
}
