/**
 * Known utterances for the spoken-audio track of browser publishers (docs/architecture.md): fixed sentences,
 * synthesised once to WAV with espeak-ng and cached, so the harness knows exactly what was said and when
 * each utterance ends.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { GlassbenchError } from '../errors.js';
import { projectRoot } from '../project-paths.js';

export interface Utterance {
  id: string;
  text: string;
}

export const UTTERANCES: readonly Utterance[] = [
  { id: 'u1', text: 'The quick brown fox jumps over the lazy dog.' },
  { id: 'u2', text: 'Please confirm the meeting starts at ten tomorrow.' },
  { id: 'u3', text: 'The latency budget is four hundred milliseconds.' },
  { id: 'u4', text: 'Can you hear me clearly now?' },
];

export function utteranceCacheDir(): string {
  return join(projectRoot(), '.cache', 'utterances');
}

/** Makes the WAV of every utterance that is not cached yet; returns the cache directory. */
export function ensureUtteranceWavs(): string {
  const dir = utteranceCacheDir();
  mkdirSync(dir, { recursive: true });
  for (const utterance of UTTERANCES) {
    const path = join(dir, `${utterance.id}.wav`);
    if (existsSync(path)) continue;
    const result = spawnSync('espeak-ng', ['-v', 'en-us', '-s', '160', '-w', path, utterance.text], {
      encoding: 'utf8',
    });
    if (result.error || result.status !== 0) {
      const reason =
        result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'espeak-ng is not installed: apt-get install -y espeak-ng'
          : result.stderr || String(result.error);
      throw new GlassbenchError('RUN_FAILED', `cannot synthesise utterance ${utterance.id}: ${reason}`);
    }
  }
  return dir;
}
