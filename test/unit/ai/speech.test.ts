import { describe, expect, it } from 'vitest';

import { parseWav, resampleLinear, wavBytes } from '../../../reference-server/ai/speech/audio.js';
import { nowMs } from '../../../src/metrics/clock.js';
import { wordErrorRate } from '../../../src/metrics/word-error-rate.js';

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
    const vad = new VoiceActivity(
      (u) => utterances.push({ startMs: u.startMs, endMs: u.endMs, samples: u.pcm.length }),
      { hangoverMs: 500 },
    );
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

describe('VoiceActivity streaming an utterance (a recogniser that stays up)', () => {
  const frame = (level: number): Float32Array => Float32Array.from({ length: 960 }, () => level);
  it('streams exactly the audio the closed utterance holds: pauses once speech resumes, never the trailing silence', async () => {
    const { VoiceActivity } = await import('../../../reference-server/ai/speech/vad.js');
    const events: string[] = [];
    const streamed: Float32Array[] = [];
    const closed: Float32Array[] = [];
    const vad = new VoiceActivity((u) => closed.push(u.pcm), { hangoverMs: 500 }, 48_000, {
      onStart: (ms) => events.push(`start ${ms}`),
      onAudio: (pcm) => streamed.push(pcm),
      onDiscard: () => events.push('discard'),
    });
    let t = 0;
    vad.push(frame(0), (t += 20)); // leading silence: nothing
    for (let i = 0; i < 15; i += 1) vad.push(frame(0.3), (t += 20)); // 300 ms speech
    for (let i = 0; i < 10; i += 1) vad.push(frame(0.001), (t += 20)); // 200 ms pause: held back
    expect(streamed).toHaveLength(15);
    for (let i = 0; i < 15; i += 1) vad.push(frame(0.3), (t += 20)); // speech again: the pause goes out first
    expect(streamed).toHaveLength(40);
    for (let i = 0; i < 30; i += 1) vad.push(frame(0.001), (t += 20)); // 600 ms silence closes it
    expect(events).toEqual(['start 40']);
    expect(streamed).toHaveLength(40);
    expect(closed).toHaveLength(1);
    const joined = new Float32Array(40 * 960);
    streamed.forEach((f, i) => joined.set(f, i * 960));
    expect(Array.from(closed[0] as Float32Array)).toEqual(Array.from(joined));
    for (let i = 0; i < 5; i += 1) vad.push(frame(0.3), (t += 20)); // 100 ms: noise, shorter than minSpeechMs
    vad.tick(t + 600);
    expect(events).toEqual(['start 40', `start ${t - 80}`, 'discard']);
    expect(closed).toHaveLength(1);
  });

  it("parses pocketsphinx_batch's hypothesis lines, also an empty transcript, and nothing else", async () => {
    const { parseHypothesis } = await import('../../../reference-server/ai/speech/recogniser.js');
    expect(parseHypothesis('please consider the meeting starts at two tomorrow (u2 -19730)')).toEqual({
      text: 'please consider the meeting starts at two tomorrow',
      id: 'u2',
      score: -19730,
    });
    expect(parseHypothesis(' (u7 -312)')).toEqual({ text: '', id: 'u7', score: -312 });
    expect(parseHypothesis('(u8 0)')).toEqual({ text: '', id: 'u8', score: 0 });
    expect(parseHypothesis('INFO: batch.c(800): Decoding u2')).toBeUndefined();
    expect(parseHypothesis('')).toBeUndefined();
  });
});

describe('OnsetDetector', () => {
  const block = (level: number): Float32Array => Float32Array.from({ length: 480 }, (_, i) => level * Math.sin(i / 3));
  it('reports speech starting after at least the minimum silence, not the pauses between words', async () => {
    const { OnsetDetector, ONSET_MIN_SILENCE_MS } = await import('../../../src/media/audio-onset.js');
    const onsets: number[] = [];
    const detector = new OnsetDetector((ms) => onsets.push(ms));
    let t = 1000;
    const play = (level: number, ms: number): void => {
      for (const end = t + ms; t < end; t += 10) detector.push(block(level), t);
    };
    play(0, 300);
    play(0.2, 400); // onset at 1300
    play(0, 200); // a pause between words: no new onset
    play(0.2, 300);
    play(0.001, ONSET_MIN_SILENCE_MS); // -63 dBFS: silence
    play(0.2, 100); // a new sentence
    expect(onsets).toEqual([1300, 1300 + 400 + 200 + 300 + ONSET_MIN_SILENCE_MS]);
  });
});

describe('TranslatedVoice (option B)', () => {
  it('sends a paced Opus stream of silence, then the speech it is given, starting where it says', async () => {
    const { TranslatedVoice } = await import('../../../reference-server/ai/speech/voice.js');
    const { OpusDecoder } = await import('../../../src/media/opus.js');
    const { OnsetDetector } = await import('../../../src/media/audio-onset.js');
    const sent: { seq: number; ts: number; marker: boolean; payload: Buffer; ms: number }[] = [];
    const errors: string[] = [];
    const voice = new TranslatedVoice(
      (rtp) =>
        sent.push({
          seq: rtp.header.sequenceNumber,
          ts: rtp.header.timestamp,
          marker: rtp.header.marker,
          payload: rtp.payload,
          ms: nowMs(),
        }),
      (message) => errors.push(message),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    // 300 ms of a 300 Hz tone at 16 kHz, as a TTS engine's WAV
    const tone = Int16Array.from({ length: 4800 }, (_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 16_000)),
    );
    const started = voice.say(wavBytes(tone, 16_000));
    const startMs = await started;
    await new Promise((resolve) => setTimeout(resolve, 500));
    voice.close();
    expect(errors).toEqual([]);
    // contiguous sequence numbers, 960 samples (20 ms at 48 kHz) apart, the marker on the first speech packet only
    for (let i = 1; i < sent.length; i += 1) {
      expect(sent[i]?.seq).toBe(((sent[i - 1]?.seq ?? 0) + 1) & 0xffff);
      expect(sent[i]?.ts).toBe(((sent[i - 1]?.ts ?? 0) + 960) >>> 0);
    }
    const markers = sent.filter((p) => p.marker);
    expect(markers).toHaveLength(1);
    // say() resolved with when the first speech packet went out (within the clock's resolution of the send)
    expect(Math.abs((startMs ?? 0) - (markers[0]?.ms ?? 0))).toBeLessThan(1);
    // decoded, the stream is silent until the marked packet and audible from it on, for 300 ms
    const decoder = new OpusDecoder();
    const onsets: number[] = [];
    const detector = new OnsetDetector((index) => onsets.push(index));
    let loud = 0;
    for (const [i, packet] of sent.entries()) {
      const pcm = await decoder.decode(packet.payload);
      if (!pcm) continue;
      detector.push(pcm, i);
      let sum = 0;
      for (const v of pcm) sum += v * v;
      if (10 * Math.log10(sum / pcm.length) > -30) loud += 1;
    }
    await decoder.close();
    const first = sent.indexOf(markers[0] as (typeof sent)[number]);
    expect(onsets).toEqual([first]);
    expect(loud).toBeGreaterThanOrEqual(14);
    expect(loud).toBeLessThanOrEqual(16);
  });
});
