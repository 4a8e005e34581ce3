import { describe, expect, it } from 'vitest';
import { parseWav, resampleLinear, wavBytes } from '../../../reference-server/ai/speech/audio.js';
import { wordErrorRate } from '../../../reference-server/ai/speech/engines.js';

describe('speech chain helpers', () => {
  it('word error rate: substitutions, insertions and deletions over the reference words, ignoring case and punctuation', () => {
    expect(wordErrorRate('The quick brown fox.', 'the quick brown fox')).toBe(0);
    expect(wordErrorRate('the quick brown fox', 'the quick red fox')).toBe(25);
    expect(wordErrorRate('the quick brown fox', 'quick brown fox jumps')).toBe(50);
    expect(wordErrorRate('can you hear me', '')).toBe(100);
    expect(wordErrorRate('', '')).toBe(0);
  });

  it('writes and reads 16-bit mono WAV, and resamples', () => {
    const pcm = Int16Array.from({ length: 480 }, (_, i) => Math.round(Math.sin(i / 10) * 10_000));
    const { pcm: back, sampleRate } = parseWav(wavBytes(pcm, 48_000));
    expect(sampleRate).toBe(48_000);
    expect(Array.from(back)).toEqual(Array.from(pcm));
    const down = resampleLinear(pcm, 48_000, 16_000);
    expect(down.length).toBe(160);
    expect(down[10]).toBe(pcm[30]);
    expect(() => parseWav(Buffer.from('not a wav at all'))).toThrow(/not a WAV/);
  });
});

describe('VoiceActivity', () => {
  const frame = (level: number): Float32Array => Float32Array.from({ length: 960 }, (_, i) => level * Math.sin(i / 5));
  it('cuts utterances at the hangover, also when a DTX sender goes quiet (no frames at all)', async () => {
    const { VoiceActivity } = await import('../../../reference-server/ai/speech/vad.js');
    const utterances: { startMs: number; endMs: number; samples: number }[] = [];
    const vad = new VoiceActivity((u) => utterances.push({ startMs: u.startMs, endMs: u.endMs, samples: u.pcm.length }), { hangoverMs: 500 });
    let t = 1000;
    for (let i = 0; i < 5; i += 1) vad.push(frame(0), (t += 20)); // leading silence: ignored
    for (let i = 0; i < 50; i += 1) vad.push(frame(0.3), (t += 20)); // 1 s of speech
    for (let i = 0; i < 30; i += 1) vad.push(frame(0.001), (t += 20)); // 600 ms of silence frames
    expect(utterances).toEqual([{ startMs: 1120, endMs: 2100, samples: 50 * 960 }]);
    for (let i = 0; i < 20; i += 1) vad.push(frame(0.3), (t += 20)); // 400 ms of speech, then DTX: nothing
    vad.tick(t + 300);
    expect(utterances).toHaveLength(1);
    vad.tick(t + 500);
    expect(utterances[1]).toEqual({ startMs: t - 380, endMs: t, samples: 20 * 960 });
    for (let i = 0; i < 5; i += 1) vad.push(frame(0.3), (t += 20)); // 100 ms: shorter than minSpeechMs
    vad.tick(t + 600);
    expect(utterances).toHaveLength(2);
  });
});
