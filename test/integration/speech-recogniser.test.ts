/**
 * The recogniser that stays up (reference-server/ai/speech/recogniser.ts) with the real pocketsphinx: one
 * process per publisher across its utterances, streamed audio, a process that dies or hangs, and close.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { parseWav } from '../../reference-server/ai/speech/audio.js';
import { PocketsphinxAsr } from '../../reference-server/ai/speech/engines.js';
import { ensureUtteranceWavs } from '../../src/media/utterances.js';
import { missingSpeechEngines } from '../../src/metrics/speech-engines.js';

/** pids of the recogniser processes glassbench started (their FIFO directory names them) */
function recogniserPids(): number[] {
  return spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.includes('pocketsphinx_batch') && l.includes('glassbench-asr-'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

function utterance(id: string): { pcm: Int16Array; sampleRate: number } {
  return parseWav(readFileSync(join(ensureUtteranceWavs(), `${id}.wav`)));
}

/** streams `pcm` in 20 ms chunks, as the chain does while the speaker talks */
function stream(asr: PocketsphinxAsr, pcm: Int16Array, sampleRate: number): Promise<string> {
  const s = asr.begin(sampleRate);
  const chunk = sampleRate / 50;
  for (let i = 0; i < pcm.length; i += chunk) s.push(pcm.subarray(i, i + chunk));
  return s.end();
}

function dirOf(pid: number): string | undefined {
  const args = spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).stdout;
  return /-cepdir (\S+)/.exec(args)?.[1];
}

describe('pocketsphinx recogniser kept running', () => {
  beforeAll(() => {
    const missing = missingSpeechEngines();
    if (missing.length > 0) throw new Error(`speech engines missing: apt-get install -y ${missing.join(' ')}`);
  });

  it('keeps one process per publisher across its streamed utterances, and none after close', async () => {
    const before = new Set(recogniserPids());
    const a = new PocketsphinxAsr();
    const b = new PocketsphinxAsr();
    const u1 = utterance('u1');
    const u4 = utterance('u4');
    const first = await Promise.all([stream(a, u1.pcm, u1.sampleRate), stream(b, u4.pcm, u4.sampleRate)]);
    const pids = [a.pid, b.pid];
    const second = await Promise.all([stream(a, u4.pcm, u4.sampleRate), stream(b, u1.pcm, u1.sampleRate)]);
    for (const text of [...first, ...second]) expect(text).not.toBe('');
    // (not the same words for the same sentence: a recogniser's live cepstral mean adapts over utterances)
    expect([a.pid, b.pid]).toEqual(pids);
    expect(pids[0]).not.toBe(pids[1]);
    const running = recogniserPids().filter((p) => !before.has(p));
    expect(running.sort()).toEqual([...(pids as number[])].sort());
    const dirs = (pids as number[]).map(dirOf);
    a.close();
    b.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(recogniserPids().filter((p) => !before.has(p))).toEqual([]);
    for (const dir of dirs) expect(dir && existsSync(dir)).toBe(false);
    await expect(stream(a, u4.pcm, u4.sampleRate)).rejects.toThrow(/closed/);
  }, 60_000);

  it('a recogniser that dies fails the utterance it was on with the reason, and the next one gets a new process', async () => {
    const asr = new PocketsphinxAsr();
    const u4 = utterance('u4');
    try {
      expect(await stream(asr, u4.pcm, u4.sampleRate)).not.toBe('');
      const pid = asr.pid as number;
      const s = asr.begin(u4.sampleRate);
      s.push(u4.pcm.subarray(0, u4.pcm.length / 2));
      await new Promise((r) => setTimeout(r, 200));
      process.kill(pid, 'SIGKILL');
      await expect(s.end()).rejects.toThrow(/pocketsphinx exited \(signal SIGKILL\) during utterance u2/);
      expect(await stream(asr, u4.pcm, u4.sampleRate)).not.toBe('');
      expect(asr.pid).not.toBe(pid);
      expect(recogniserPids()).not.toContain(pid);
    } finally {
      asr.close();
    }
  }, 60_000);

  it('a recogniser that hangs is given a bounded time, then killed, and the next utterance gets a new process', async () => {
    const asr = new PocketsphinxAsr({ answerTimeoutMs: 1500 });
    const u4 = utterance('u4');
    try {
      expect(await stream(asr, u4.pcm, u4.sampleRate)).not.toBe('');
      const pid = asr.pid as number;
      const s = asr.begin(u4.sampleRate);
      s.push(u4.pcm);
      await new Promise((r) => setTimeout(r, 100));
      process.kill(pid, 'SIGSTOP'); // wedged: alive, reading nothing, answering nothing
      await expect(s.end()).rejects.toThrow(/no answer within 1500 ms of the end of utterance u2/);
      expect(await stream(asr, u4.pcm, u4.sampleRate)).not.toBe('');
      expect(asr.pid).not.toBe(pid);
      await new Promise((r) => setTimeout(r, 200));
      expect(recogniserPids()).not.toContain(pid);
    } finally {
      asr.close();
    }
  }, 60_000);
});
