import { describe, expect, it } from 'vitest';

import { joinSpeech, type SpeechJoinInput } from '../../../src/orchestrator/speech-join.js';
import type { SubscriptionWindow } from '../../../src/protocol/runner-ipc.js';

/** Two publishers in room r1: alice (stream sA, tag 1) with two receivers, bob (stream sB, tag 2) with none. */
function input(overrides: Partial<SpeechJoinInput> = {}): SpeechJoinInput {
  const windows: SubscriptionWindow[] = [
    { peer: 'sub1', sub: 'w1', publisherTag: 1, startMs: 0 },
    { peer: 'sub2', sub: 'w2', publisherTag: 1, startMs: 0 },
  ];
  return {
    records: [
      // listed out of order: the join goes by utterance number
      {
        k: 'speech',
        pub: 'sA',
        n: 2,
        speechStartMs: 5000,
        speechEndMs: 6100,
        asrDoneMs: 6400,
        mtDoneMs: 6450,
        ttsFirstAudioMs: 6600,
        text: 'good morning',
        translation: 'buenos dias',
      },
      {
        k: 'speech',
        pub: 'sA',
        n: 1,
        speechStartMs: 1000,
        speechEndMs: 2050,
        asrDoneMs: 2300,
        mtDoneMs: 2340,
        ttsFirstAudioMs: 2500,
        text: 'hello wide world',
        translation: 'hola mundo',
      },
      {
        k: 'speech',
        pub: 'sB',
        n: 1,
        speechStartMs: 1000,
        speechEndMs: 3000,
        asrDoneMs: 3200,
        text: 'bob speaks',
        translation: 'bob habla',
      },
      // no utterance ends near it: reported, not measured
      { k: 'speech', pub: 'sA', n: 3, speechStartMs: 20_000, speechEndMs: 21_000, error: 'asr timed out' },
    ],
    utterances: [
      { peer: 'alice', id: 'a-1', text: 'hello big world', startMs: 1000, endMs: 2000 },
      // the nearer end wins over one further off, and alice's utterance is not bob's
      { peer: 'alice', id: 'a-2-far', text: 'good morning', startMs: 4000, endMs: 4700 },
      { peer: 'alice', id: 'a-2', text: 'good morning', startMs: 5000, endMs: 6000 },
      { peer: 'bob', id: 'b-1', text: 'bob speaks', startMs: 1000, endMs: 2900 },
    ],
    subtitles: [
      { f: 'sub:1', peer: 'sub1', sub: 'w1', receivedMs: 2600 },
      { f: 'sub:2', peer: 'sub1', sub: 'w1', receivedMs: 6700 },
      { f: 'sub:1', peer: 'sub2', sub: 'w2', receivedMs: 2650 },
    ],
    onsets: [
      // sub1 hears utterance 1's translation at 2700 and utterance 2's at 6800; sub2 only utterance 1's
      { peer: 'sub1', sub: 'w1', ms: 2700, levelDbfs: -20 },
      { peer: 'sub1', sub: 'w1', ms: 6800, levelDbfs: -20 },
      { peer: 'sub2', sub: 'w2', ms: 2750, levelDbfs: -20 },
    ],
    voiceStarts: new Map([
      ['sA/1', 2550],
      ['sA/2', 6650],
    ]),
    publisherByStream: new Map([
      ['sA', 'alice'],
      ['sB', 'bob'],
    ]),
    peerInfo: new Map([
      ['alice', { room: 'r1', kind: 'browser' }],
      ['bob', { room: 'r1', kind: 'browser' }],
      ['sub1', { room: 'r1', kind: 'synthetic' }],
      ['sub2', { room: 'r1', kind: 'browser' }],
    ]),
    publisherTags: new Map([
      ['alice', 1],
      ['bob', 2],
    ]),
    receiversOf: (tag) => windows.filter((w) => w.publisherTag === tag),
    measureFromMs: 0,
    output: 'both',
    ...overrides,
  };
}

describe('speech join', () => {
  it('joins each chain record to the utterance its publisher played, with WER and the chain latencies', () => {
    const { entries } = joinSpeech(input());
    expect(entries.map((e) => [e.publisher, e.n, e.utterance])).toEqual([
      ['alice', 1, 'a-1'],
      ['bob', 1, 'b-1'],
      ['alice', 2, 'a-2'],
      ['alice', 3, undefined],
    ]);
    const [a1, b1, a2, a3] = entries;
    // one word of three substituted
    expect(a1?.werPct).toBeCloseTo(100 / 3, 6);
    expect(a1).toMatchObject({
      text: 'hello big world',
      recognised: 'hello wide world',
      translation: 'hola mundo',
      asrMs: 300,
      mtMs: 40,
      ttsTtfbMs: 160,
    });
    expect(a2).toMatchObject({ werPct: 0, asrMs: 400, mtMs: 50, ttsTtfbMs: 150 });
    // no MT or TTS times: those latencies are absent, not zero
    expect(b1).toMatchObject({ werPct: 0, asrMs: 300, subtitlesReceived: 0, speechHeard: 0 });
    expect(b1?.mtMs).toBeUndefined();
    expect(a3).toEqual({
      publisher: 'alice',
      n: 3,
      recognised: '',
      translation: '',
      subtitlesReceived: 0,
      speechHeard: 0,
      error: 'asr timed out',
    });
  });

  it('per receiver: the subtitle of the same utterance number and the first onset before the next translation plays', () => {
    const { entries, samples, metrics } = joinSpeech(input());
    expect(entries[0]).toMatchObject({ subtitlesReceived: 2, speechHeard: 2 });
    expect(entries[2]).toMatchObject({ subtitlesReceived: 1, speechHeard: 1 });
    const forAlice1 = samples.filter((s) => s.publisher === 'alice' && s.n === 1);
    expect(forAlice1.map((s) => [s.subscriber, s.session, s.peerKind, s.subtitleLatencyMs, s.s2sLatencyMs])).toEqual([
      ['sub1', 'w1', 'synthetic', 600, 700],
      ['sub2', 'w2', 'browser', 650, 750],
    ]);
    // sub2 heard nothing after utterance 2's translation began: its onset at 2750 belongs to utterance 1
    const sub2On2 = samples.find((s) => s.n === 2 && s.subscriber === 'sub2');
    expect(sub2On2?.s2sLatencyMs).toBeUndefined();
    expect(sub2On2?.subtitleLatencyMs).toBeUndefined();
    // bob has no receivers: one sample without a subscriber
    expect(samples.filter((s) => s.publisher === 'bob')).toEqual([
      {
        kind: 'speech',
        room: 'r1',
        publisher: 'bob',
        utterance: 'b-1',
        n: 1,
        text: 'bob speaks',
        recognised: 'bob speaks',
        translation: 'bob habla',
        utteranceEndMs: 2900,
        asrMs: 300,
        werPct: 0,
      },
    ]);
    expect(metrics.filter((m) => m.name === 'subtitle_latency_ms')).toEqual([
      {
        name: 'subtitle_latency_ms',
        value: 600,
        tags: { room: 'r1', publisher: 'alice', subscriber: 'sub1', peer_kind: 'synthetic' },
      },
      {
        name: 'subtitle_latency_ms',
        value: 650,
        tags: { room: 'r1', publisher: 'alice', subscriber: 'sub2', peer_kind: 'browser' },
      },
      {
        name: 'subtitle_latency_ms',
        value: 700,
        tags: { room: 'r1', publisher: 'alice', subscriber: 'sub1', peer_kind: 'synthetic' },
      },
    ]);
    expect(metrics.filter((m) => m.name === 'asr_ms').map((m) => [m.value, m.tags])).toEqual([
      [300, { room: 'r1', publisher: 'alice' }],
      [300, { room: 'r1', publisher: 'bob' }],
      [400, { room: 'r1', publisher: 'alice' }],
    ]);
  });

  it('subtitles only (receivers listen for no speech): speechHeard is absent; utterances before the measured window are recorded as warm-up, not measured', () => {
    const { entries, samples, metrics } = joinSpeech(
      input({ output: 'subtitles', onsets: [], voiceStarts: new Map(), measureFromMs: 3000, variant: 'v1' }),
    );
    expect(entries.every((e) => e.speechHeard === undefined)).toBe(true);
    // utterance 1 of alice and bob's ended before 3000: no metric samples from them
    expect(metrics.every((m) => m.tags['publisher'] === 'alice')).toBe(true);
    expect(metrics.map((m) => m.name)).toEqual([
      'asr_ms',
      'mt_ms',
      'tts_ttfb_ms',
      'asr_wer_pct',
      'subtitle_latency_ms',
    ]);
    expect(samples.filter((s) => s.warmup).map((s) => [s.publisher, s.n, s.subscriber])).toEqual([
      ['alice', 1, 'sub1'],
      ['alice', 1, 'sub2'],
      ['bob', 1, undefined],
    ]);
    expect(samples.every((s) => s.variant === 'v1')).toBe(true);
  });

  it('a record of a stream nobody published is reported under the stream id', () => {
    const { entries, samples } = joinSpeech(
      input({ records: [{ k: 'speech', pub: 'sX', n: 1, speechStartMs: 0, speechEndMs: 2000, text: 'x' }] }),
    );
    expect(entries).toEqual([
      { publisher: 'sX', n: 1, recognised: 'x', translation: '', subtitlesReceived: 0, speechHeard: 0 },
    ]);
    expect(samples).toEqual([]);
  });
});
