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
