/**
 * The A/V sync join: a marker frame meets the burst of its id nearest in time at the same subscription, whichever
 * comes first; the sample is burst minus frame (receivedMs, at browsers too). Bursts of another id,
 * another subscription or too far away, warm-up frames and frames without a marker make no sample.
 */
import { describe, expect, it } from 'vitest';

import { AvSyncJoin } from '../../../src/metrics/av-sync.js';
import type { FrameRecord } from '../../../src/metrics/types.js';

function frame(seq: number, ms: number, extra: Partial<FrameRecord> = {}): FrameRecord {
  return {
    frameId: `3:${seq}`,
    room: 'r1',
    publisher: 'r1-pub-1',
    subscriber: 'r1-sub-1',
    session: 's1',
    peerKind: 'synthetic',
    keyframe: false,
    bytes: 1000,
    receivedMs: ms,
    ...extra,
  };
}

function join(): { join: AvSyncJoin; samples: { metric: string; value: number; tags: Record<string, string> }[] } {
  const samples: { metric: string; value: number; tags: Record<string, string> }[] = [];
  return { join: new AvSyncJoin((metric, value, tags) => samples.push({ metric, value, tags })), samples };
}

describe('AvSyncJoin', () => {
  it('pairs a frame with the burst heard before it, and writes avSyncMs into the frame record', () => {
    const { join: j, samples } = join();
    j.onMarker({ peer: 'r1-sub-1', sub: 's1', ms: 10_025, id: 1 });
    const record = frame(30, 10_003);
    j.onFrame(record);
    expect(record.avSyncMs).toBeCloseTo(22, 9);
    expect(samples).toEqual([
      {
        metric: 'av_sync_ms',
        value: record.avSyncMs,
        tags: { room: 'r1', publisher: 'r1-pub-1', subscriber: 'r1-sub-1', peer_kind: 'synthetic' },
      },
    ]);
  });

  it('pairs a burst that comes after its frame, and audio early is negative', () => {
    const { join: j, samples } = join();
    j.onFrame(frame(60, 20_050));
    j.onMarker({ peer: 'r1-sub-1', sub: 's1', ms: 20_010, id: 2 });
    expect(samples.map((s) => s.value)).toEqual([-40]);
  });

  it('pairs a burst whose tone was not told only with a frame near it, never the marker before or after its own', () => {
    const { join: j, samples } = join();
    j.onMarker({ peer: 'r1-sub-1', sub: 's1', ms: 11_010 }); // its own frame (seq 60) was lost
    j.onFrame(frame(30, 10_003)); // 1 s before: another marker's frame
    expect(samples).toEqual([]);
    j.onFrame(frame(90, 12_004)); // 1 s after
    expect(samples).toEqual([]);
    j.onMarker({ peer: 'r1-sub-1', sub: 's1', ms: 13_030 });
    j.onFrame(frame(120, 13_004));
    expect(samples.map((x) => Math.round(x.value))).toEqual([26]);
  });

  it('takes the frame at receipt at browser receivers too, never at render; none without a receipt time', () => {
    const { join: j, samples } = join();
    j.onMarker({ peer: 'r1-sub-1', sub: 's1', ms: 1100, id: 0 });
    j.onFrame(frame(0, 1000, { peerKind: 'browser', renderedMs: 1040 }));
    j.onMarker({ peer: 'r1-sub-1', sub: 's1', ms: 2100, id: 1 });
    const unreceived = frame(30, 0, { peerKind: 'browser', renderedMs: 2040 });
    delete unreceived.receivedMs;
    j.onFrame(unreceived);
    expect(samples.map((s) => s.value)).toEqual([100]);
  });

  it('matches by id, by subscription and within 3 s; ignores warm-up, late and unmarked frames', () => {
    const { join: j, samples } = join();
    j.onMarker({ peer: 'r1-sub-1', sub: 's1', ms: 5000, id: 4 }); // id of frame 120, not 90
    j.onMarker({ peer: 'r1-sub-2', sub: 's2', ms: 5000, id: 3 }); // another subscription
    j.onFrame(frame(90, 4990));
    j.onMarker({ peer: 'r1-sub-1', sub: 's1', ms: 9000, id: 3 }); // id 3, but 4 s from the frame
    j.onFrame(frame(31, 5000));
    j.onFrame(frame(120, 5010, { warmup: true }));
    j.onFrame(frame(120, 5010, { late: true }));
    expect(samples).toEqual([]);
    j.onFrame(frame(120, 5010));
    expect(samples.map((s) => s.value)).toEqual([-10]);
  });

  it('pairs a burst whose tone could not be read with the nearest marker frame', () => {
    const { join: j, samples } = join();
    j.onFrame(frame(30, 1000));
    j.onFrame(frame(60, 2000));
    j.onMarker({ peer: 'r1-sub-1', sub: 's1', ms: 2030 });
    expect(samples.map((s) => s.value)).toEqual([30]);
  });

  it('records time_to_first_audio_ms for subscriptions that requested and heard audio', () => {
    const { join: j, samples } = join();
    j.recordFirstAudio(
      [
        { peer: 'a', sub: 's1', publisherTag: 1, startMs: 500, requestMs: 100, firstAudioMs: 380 },
        { peer: 'b', sub: 's2', publisherTag: 1, startMs: 500, requestMs: 100 },
        { peer: 'c', sub: 's3', publisherTag: 1, startMs: 500, firstAudioMs: 380 },
      ],
      (w) => ({ subscriber: w.peer }),
    );
    expect(samples).toEqual([{ metric: 'time_to_first_audio_ms', value: 280, tags: { subscriber: 'a' } }]);
  });
});
