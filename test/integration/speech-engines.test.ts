/**
 * The translation chain's real engines from Debian packages (pocketsphinx, apertium eng-spa, espeak-ng) on
 * the project's known English utterances: what each returns, how long each takes, and the recogniser's word
 * error rate against the known text (printed: speed means little without accuracy).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { parseWav } from '../../reference-server/ai/speech/audio.js';
import { ApertiumMt, EspeakTts, PocketsphinxAsr } from '../../reference-server/ai/speech/engines.js';
import { ensureUtteranceWavs, UTTERANCES } from '../../src/media/utterances.js';
import { nowMs } from '../../src/metrics/clock.js';
import { missingSpeechEngines } from '../../src/metrics/speech-engines.js';
import type { SpeechSampleRecord } from '../../src/metrics/types.js';
import { wordErrorRate } from '../../src/metrics/word-error-rate.js';
import { runScenario } from '../../src/orchestrator/runner.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { expectAccountingHolds, readFrames, tempDir } from '../fixtures/cli.js';

/** pids of the chain's recogniser processes on this machine (their FIFO directory names them), zombies left out */
function recogniserPids(): number[] {
  return spawnSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.includes('pocketsphinx_batch') && l.includes('glassbench-asr-') && !/^\s*\d+\s+Z/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

describe('speech engines (real)', () => {
  beforeAll(() => {
    const missing = missingSpeechEngines();
    if (missing.length > 0)
      throw new Error(
        `speech engines missing: install them with "apt-get install -y ${missing.join(' ')}" (or run scripts/setup-system.sh as root)`,
      );
  });

  it('apertium translates English to Spanish', async () => {
    expect(await new ApertiumMt().translate('The quick brown fox')).toBe('El zorro marrón rápido');
    expect(await new ApertiumMt().translate('')).toBe('');
  });

  it('espeak-ng speaks Spanish text as a WAV, with its first audio before the end', async () => {
    let firstMs = 0;
    const startMs = nowMs();
    const wav = await new EspeakTts('es').synthesise('El zorro marrón rápido', () => (firstMs = nowMs()));
    const endMs = nowMs();
    const { pcm, sampleRate } = parseWav(wav);
    expect(sampleRate).toBe(22_050);
    expect(pcm.length / sampleRate).toBeGreaterThan(0.5);
    expect(firstMs).toBeGreaterThan(startMs);
    expect(firstMs).toBeLessThanOrEqual(endMs);
  });

  it('pocketsphinx -> apertium -> espeak-ng on every known utterance, with word error rates', async () => {
    const dir = ensureUtteranceWavs();
    const asr = new PocketsphinxAsr();
    const mt = new ApertiumMt();
    const tts = new EspeakTts('es');
    const lines: string[] = [];
    const pids = new Set<number>();
    for (const utterance of UTTERANCES) {
      const { pcm, sampleRate } = parseWav(readFileSync(join(dir, `${utterance.id}.wav`)));
      let t = nowMs();
      const text = await asr.recognise(pcm, sampleRate);
      const asrMs = nowMs() - t;
      pids.add(asr.pid as number);
      t = nowMs();
      const translation = await mt.translate(text);
      const mtMs = nowMs() - t;
      // what the chain hands on is exactly the apertium translation of what pocketsphinx recognised
      expect(translation).toBe(await mt.translate(text));
      if (text !== '') expect(translation).not.toBe('');
      t = nowMs();
      let ttfbMs = -1;
      const spoken = text === '' ? Buffer.alloc(0) : await tts.synthesise(translation, () => (ttfbMs = nowMs() - t));
      if (text !== '') expect(parseWav(spoken).pcm.length).toBeGreaterThan(0);
      const wer = wordErrorRate(utterance.text, text);
      expect(wer).toBeGreaterThanOrEqual(0);
      lines.push(
        `${utterance.id}: "${utterance.text}" -> "${text}" (WER ${wer.toFixed(0)}%, asr ${asrMs.toFixed(0)} ms) -> "${translation}" (mt ${mtMs.toFixed(0)} ms, tts first audio ${ttfbMs.toFixed(0)} ms)`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    // one recogniser process heard them all
    expect(pids.size).toBe(1);
    asr.close();
  }, 120_000);
});

describe('translation chain in the reference SFU (subtitles over the DataChannel and translated speech)', () => {
  it('turns each spoken utterance into the apertium translation of what pocketsphinx heard, shown and spoken at every subscriber, with its times', async () => {
    const missing = missingSpeechEngines();
    if (missing.length > 0) throw new Error(`speech engines missing: apt-get install -y ${missing.join(' ')}`);
    const dir = await tempDir();
    const outDir = join(dir, 'out');
    // the recognisers seen while the run goes: one process for the one publisher, the same for every utterance
    const before = new Set(recogniserPids());
    const seen: number[][] = [];
    const poll = setInterval(() => seen.push(recogniserPids().filter((p) => !before.has(p))), 250);
    // one synthetic and one browser receiver: both hear the translated speech (decoded Opus in Node; the
    // page's decoded audio track) and get the subtitles
    const { summary } = await runScenario({
      scenario: scenarioFromText(`name: translate-test
duration: 16s
peers:
  - { role: publisher, kind: browser, count: 1, video: { width: 320, height: 180, fps: 15, bitrateKbps: 300 }, audio: { utterances: true, interval: 6s } }
  - { role: subscriber, kind: synthetic, count: 1 }
  - { role: subscriber, kind: browser, count: 1 }
ai: { placement: cloud, speech: { asr: pocketsphinx, mt: apertium, tts: espeak-ng, output: both } }
`),
      runId: 'translate',
      outDir,
    }).finally(() => clearInterval(poll));
    expect(summary.status).toBe('passed');
    const recognisers = new Set(seen.flat());
    expect(recognisers.size).toBe(1);
    expect(seen.filter((s) => s.length > 0).length * 250).toBeGreaterThan(6000); // up across the utterances
    expect(Math.max(...seen.map((s) => s.length))).toBe(1);
    // none left once the SFU closed
    expect(recogniserPids().filter((p) => recognisers.has(p))).toEqual([]);
    expectAccountingHolds(summary);
    const heard = (summary.speech ?? []).filter((s) => s.utterance !== undefined);
    expect(heard.length).toBeGreaterThanOrEqual(2);
    const mt = new ApertiumMt();
    for (const s of heard) {
      expect(s.recognised).not.toBe('');
      expect(s.translation).toBe(await mt.translate(s.recognised));
      expect(s.subtitlesReceived).toBe(2);
      for (const key of ['asrMs', 'mtMs', 'ttsTtfbMs', 'werPct'] as const) expect(s[key]).toBeGreaterThanOrEqual(0);
      // the recogniser cannot finish before the speaker did
      expect(s.asrMs).toBeGreaterThan(0);
    }
    // every utterance but perhaps the last (its translation may still be queued when the run ends) was heard
    // spoken in Spanish by both receivers, never before the chain had synthesised it
    for (const s of heard.slice(0, -1)) expect(s.speechHeard).toBe(2);
    const samples = readFrames(outDir).filter((r) => r['kind'] === 'speech') as unknown as SpeechSampleRecord[];
    expect(samples.length).toBe(2 * heard.length);
    for (const sample of samples) {
      expect(sample.subtitleLatencyMs).toBeGreaterThan((sample.asrMs ?? 0) + (sample.mtMs ?? 0));
      if (sample.s2sLatencyMs !== undefined)
        expect(sample.s2sLatencyMs).toBeGreaterThan((sample.asrMs ?? 0) + (sample.mtMs ?? 0) + (sample.ttsTtfbMs ?? 0));
    }
    expect(new Set(samples.filter((r) => r.s2sLatencyMs !== undefined).map((r) => r.peerKind))).toEqual(
      new Set(['synthetic', 'browser']),
    );
    for (const metric of ['asr_ms', 'mt_ms', 'tts_ttfb_ms', 'asr_wer_pct'])
      expect((summary.metrics[metric] as { count: number }).count).toBeGreaterThanOrEqual(heard.length - 1);
    expect((summary.metrics['subtitle_latency_ms'] as { count: number }).count).toBeGreaterThanOrEqual(
      2 * (heard.length - 1),
    );
    expect((summary.metrics['s2s_latency_ms'] as { count: number }).count).toBeGreaterThanOrEqual(
      2 * (heard.length - 1),
    );
  }, 120_000);
});
