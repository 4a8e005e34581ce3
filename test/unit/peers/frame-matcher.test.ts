import { describe, expect, it } from 'vitest';

import { FrameMatcher, type FrameVerdict } from '../../../src/browser/page/frame-matcher.js';

/** A browser publisher's source and encoder, told to the matcher the way sent-frames.ts does (no page needed). */
function encoded(rtpTs: number, sentMs: number): { rtpTs: number; sentMs: number; bytes: number; keyframe: boolean } {
  return { rtpTs, sentMs, bytes: 1000, keyframe: false };
}

function kinds(verdicts: FrameVerdict[]): string[] {
  return verdicts.map((v) => `${v.seq}:${v.kind}`);
}

describe('FrameMatcher (which drawn frames a browser encoder sent)', () => {
  it('reports a frame sent once its encoded copy is named, with the RTP timestamp and send time', () => {
    const matcher = new FrameMatcher();
    expect(matcher.onDrawn({ seq: 0, captureMs: 1000, drawnMs: 1000 })).toEqual([]);
    matcher.onEncoded(encoded(90_000, 1008));
    expect(matcher.onIdentified(90_000, 0)).toEqual([
      { kind: 'sent', seq: 0, captureMs: 1000, encoded: encoded(90_000, 1008) },
    ]);
    expect(matcher.pending).toBe(0);
  });

  it('judges a drawn frame the encoder skipped as dropped once a newer frame is named, not before', () => {
    const matcher = new FrameMatcher();
    matcher.onDrawn({ seq: 0, captureMs: 0, drawnMs: 0 });
    matcher.onDrawn({ seq: 1, captureMs: 33, drawnMs: 33 });
    matcher.onDrawn({ seq: 2, captureMs: 67, drawnMs: 67 });
    matcher.onEncoded(encoded(10, 5));
    expect(kinds(matcher.onIdentified(10, 0))).toEqual(['0:sent']);
    // frame 1 is still in flight as far as anyone knows: nothing said about it yet
    expect(matcher.judgeStale(100)).toEqual([]);
    matcher.onEncoded(encoded(30, 75));
    expect(kinds(matcher.onIdentified(30, 2))).toEqual(['1:dropped', '2:sent']);
  });

  it('does not call a frame still in the encoder dropped: an encoded frame waiting to be named holds judgement', () => {
    const matcher = new FrameMatcher({ staleMs: 1000 });
    matcher.onDrawn({ seq: 0, captureMs: 0, drawnMs: 0 });
    matcher.onEncoded(encoded(10, 900)); // encoded, its decoded copy not read yet
    expect(matcher.judgeStale(1500)).toEqual([]);
    expect(kinds(matcher.onIdentified(10, 0))).toEqual(['0:sent']);
  });

  it('judges frames drawn after the last encoded one as dropped after staleMs (the end of sending)', () => {
    const matcher = new FrameMatcher({ staleMs: 1000 });
    matcher.onDrawn({ seq: 7, captureMs: 100, drawnMs: 100 });
    matcher.onDrawn({ seq: 8, captureMs: 133, drawnMs: 133 });
    expect(matcher.judgeStale(1099)).toEqual([]);
    expect(kinds(matcher.judgeStale(1100))).toEqual(['7:dropped']);
    expect(kinds(matcher.judgeStale(1200))).toEqual(['8:dropped']);
  });

  it('counts an encoded frame whose marker could not be read as one of the earlier drawn frames, never as a drop', () => {
    const matcher = new FrameMatcher();
    for (let seq = 0; seq < 4; seq += 1) matcher.onDrawn({ seq, captureMs: seq * 33, drawnMs: seq * 33 });
    matcher.onEncoded(encoded(1, 10)); // frame 0 or 1: unreadable
    matcher.onEncoded(encoded(2, 80)); // frame 2 or so: unreadable
    matcher.onEncoded(encoded(3, 110));
    const verdicts = matcher.onIdentified(3, 3);
    // three frames drawn before 3, two encoded frames account for two of them: one drop, two sent
    expect(verdicts.filter((v) => v.kind === 'dropped')).toHaveLength(1);
    expect(verdicts.filter((v) => v.kind === 'sent').map((v) => v.seq)).toEqual([1, 2, 3]);
  });

  it('settles every drawn frame exactly once, whatever the encoder drops', () => {
    const matcher = new FrameMatcher({ staleMs: 500 });
    const verdicts: FrameVerdict[] = [];
    let rtpTs = 0;
    for (let seq = 0; seq < 300; seq += 1) {
      const ms = seq * 33;
      verdicts.push(...matcher.onDrawn({ seq, captureMs: ms, drawnMs: ms }));
      if (seq % 7 === 3 || seq % 11 === 5) continue; // the encoder drops these
      rtpTs += 3000;
      matcher.onEncoded(encoded(rtpTs, ms + 4));
      verdicts.push(...matcher.onIdentified(rtpTs, seq));
      verdicts.push(...matcher.judgeStale(ms + 5));
    }
    verdicts.push(...matcher.judgeStale(10_000 + 300 * 33));
    expect(new Set(verdicts.map((v) => v.seq)).size).toBe(300);
    expect(verdicts).toHaveLength(300);
    const dropped = verdicts.filter((v) => v.kind === 'dropped').map((v) => v.seq);
    expect(dropped).toEqual([...Array(300).keys()].filter((s) => s % 7 === 3 || s % 11 === 5));
  });
});
