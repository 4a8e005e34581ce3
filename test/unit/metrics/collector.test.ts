import { describe, expect, it } from 'vitest';

import { FrameCollector } from '../../../src/metrics/collector.js';
import { MetricSeries } from '../../../src/metrics/series.js';
import type { FrameRecord } from '../../../src/metrics/types.js';

function setup(): { collector: FrameCollector; series: MetricSeries; records: FrameRecord[] } {
  const series = new MetricSeries();
  const records: FrameRecord[] = [];
  const peers = new Map([
    ['r1-pub-1', { room: 'r1', kind: 'synthetic' }],
    ['r1-sub-1', { room: 'r1', kind: 'synthetic' }],
    ['r1-sub-2', { room: 'r1', kind: 'synthetic' }],
  ]);
  const collector = new FrameCollector(series, peers, (r) => records.push(r));
  collector.measureFromMs = 0;
  collector.registerPublisher(1, 'r1-pub-1');
  collector.addWindow({ peer: 'r1-sub-1', sub: 'A', publisherTag: 1, startMs: 0 });
  collector.addWindow({ peer: 'r1-sub-2', sub: 'B', publisherTag: 1, startMs: 0 });
  return { collector, series, records };
}

describe('FrameCollector', () => {
  it('joins publisher, SFU and subscriber records into stage times, whatever order they arrive in', () => {
    const { collector, series, records } = setup();
    collector.onReceived(
      { f: '1:0', peer: 'r1-sub-1', sub: 'A', receivedMs: 1030, firstPacketMs: 1025, bytes: 10, keyframe: false },
      0,
    );
    collector.onTelemetry({ k: 'out', f: '1:0', sub: 'A', ms: 1012 }, 0);
    collector.onTelemetry({ k: 'in', f: '1:0', pub: 'P', ms: 1010 }, 0);
    collector.onSent({ f: '1:0', peer: 'r1-pub-1', captureMs: 1000, sentMs: 1001, bytes: 10, keyframe: false }, 0);
    collector.onTelemetry({ k: 'out', f: '1:0', sub: 'B', ms: 1014 }, 0);
    collector.onReceived(
      { f: '1:0', peer: 'r1-sub-2', sub: 'B', receivedMs: 1040, firstPacketMs: 1035, bytes: 10, keyframe: false },
      0,
    );
    collector.finalise(10_000);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      frameId: '1:0',
      room: 'r1',
      publisher: 'r1-pub-1',
      subscriber: 'r1-sub-1',
      frameLatencyMs: 30,
      uplinkMs: 9,
      sfuMs: 2,
      downlinkMs: 18,
    });
    expect(records[1]).toMatchObject({ subscriber: 'r1-sub-2', frameLatencyMs: 40, sfuMs: 4, downlinkMs: 26 });
    expect(series.trend('frame_latency_ms')?.count).toBe(2);
    expect(series.summaries()['frames_lost']).toMatchObject({ count: 0 });
  });

  it('names a frame without a frame id by its RTP timestamp once the browser publisher reports it (either order)', () => {
    const series = new MetricSeries();
    const records: FrameRecord[] = [];
    const peers = new Map([
      ['r1-pub-1', { room: 'r1', kind: 'browser' }],
      ['r1-sub-1', { room: 'r1', kind: 'synthetic' }],
    ]);
    const collector = new FrameCollector(series, peers, (r) => records.push(r));
    collector.measureFromMs = 0;
    collector.registerPublisher(1, 'r1-pub-1', 'S');
    collector.addWindow({ peer: 'r1-sub-1', sub: 'A', publisherTag: 1, startMs: 0 });
    // receipt first, publisher record later; then the other way round; and one nobody ever names
    collector.onReceived(
      { peer: 'r1-sub-1', sub: 'A', rtpTs: 9000, receivedMs: 1030, firstPacketMs: 1025, bytes: 10, keyframe: false },
      1030,
    );
    collector.onTelemetry({ k: 'in', f: 'rtp:S:9000', pub: 'S', ms: 1012 }, 1030);
    collector.onTelemetry({ k: 'out', f: 'rtp:S:9000', sub: 'A', ms: 1013 }, 1030);
    collector.onSent(
      { f: '1:0', peer: 'r1-pub-1', captureMs: 1000, sentMs: 1008, bytes: 10, keyframe: true, rtpTs: 9000 },
      1100,
    );
    collector.onSent(
      { f: '1:1', peer: 'r1-pub-1', captureMs: 1033, sentMs: 1040, bytes: 10, keyframe: false, rtpTs: 12000 },
      1100,
    );
    collector.onReceived(
      { peer: 'r1-sub-1', sub: 'A', rtpTs: 12000, receivedMs: 1060, firstPacketMs: 1055, bytes: 10, keyframe: false },
      1100,
    );
    collector.onReceived(
      { peer: 'r1-sub-1', sub: 'A', rtpTs: 15000, receivedMs: 1090, firstPacketMs: 1085, bytes: 10, keyframe: false },
      1100,
    );
    collector.finalise(10_000, true);
    const named = records.filter((r) => r.frameId !== undefined);
    expect(named.map((r) => r.frameId)).toEqual(['1:0', '1:1']);
    // a browser's uplink starts at capture (docs/architecture.md), so it includes encode
    expect(named[0]).toMatchObject({ frameLatencyMs: 30, uplinkMs: 12, sfuMs: 1, downlinkMs: 17 });
    expect(series.summaries()['identity_lost']).toMatchObject({ count: 1 });
  });

  it('waits for late records before judging a frame', () => {
    const { collector, records } = setup();
    collector.onSent({ f: '1:0', peer: 'r1-pub-1', captureMs: 1000, sentMs: 1001, bytes: 10, keyframe: false }, 1000);
    collector.finalise(2500);
    expect(records).toHaveLength(0);
    collector.onReceived(
      { f: '1:0', peer: 'r1-sub-1', sub: 'A', receivedMs: 2400, firstPacketMs: 2400, bytes: 10, keyframe: false },
      2450,
    );
    collector.finalise(4100);
    expect(records).toHaveLength(1);
  });

  it('counts a frame lost for each subscription that was open and did not get it', () => {
    const { collector, series } = setup();
    collector.addWindow({ peer: 'r1-sub-2', sub: 'B', publisherTag: 1, startMs: 0, endMs: 5000 });
    for (const [i, captureMs] of [1000, 2000, 4000].entries()) {
      collector.onSent(
        { f: `1:${i}`, peer: 'r1-pub-1', captureMs, sentMs: captureMs, bytes: 10, keyframe: false },
        captureMs,
      );
    }
    collector.onReceived(
      { f: '1:0', peer: 'r1-sub-1', sub: 'A', receivedMs: 1010, firstPacketMs: 1010, bytes: 10, keyframe: false },
      1010,
    );
    collector.finalise(20_000, true);
    // A misses 1:1 and 1:2; B misses 1:0 and 1:1, while 1:2 came too close to B's end to be expected
    expect(series.summaries()['frames_lost']).toMatchObject({ count: 4 });
  });

  it('counts frames whose identity was lost and records them without a latency', () => {
    const { collector, series, records } = setup();
    collector.onReceived(
      { peer: 'r1-sub-1', sub: 'A', receivedMs: 10, firstPacketMs: 10, bytes: 1, keyframe: false },
      10,
    );
    expect(series.summaries()['identity_lost']).toMatchObject({ count: 1 });
    expect(records[0]).toMatchObject({ identityLost: true, publisher: 'r1-pub-1' });
    expect(records[0]?.frameLatencyMs).toBeUndefined();
  });

  it('writes warm-up frames (captured before every peer connected) but keeps them out of the metrics', () => {
    const { collector, series, records } = setup();
    collector.measureFromMs = 1500;
    collector.onSent({ f: '1:0', peer: 'r1-pub-1', captureMs: 1000, sentMs: 1000, bytes: 10, keyframe: false }, 1000);
    collector.onSent({ f: '1:1', peer: 'r1-pub-1', captureMs: 2000, sentMs: 2000, bytes: 10, keyframe: false }, 2000);
    collector.onReceived(
      { f: '1:0', peer: 'r1-sub-1', sub: 'A', receivedMs: 1010, firstPacketMs: 1010, bytes: 10, keyframe: false },
      1010,
    );
    collector.onReceived(
      { f: '1:1', peer: 'r1-sub-1', sub: 'A', receivedMs: 2010, firstPacketMs: 2010, bytes: 10, keyframe: false },
      2010,
    );
    collector.finalise(20_000, true);
    expect(records.map((r) => r.warmup)).toEqual([true, undefined]);
    expect(series.trend('frame_latency_ms')?.count).toBe(1);
    expect(series.summaries()['frames_sent']).toMatchObject({ count: 1 });
    expect(series.summaries()['frames_lost']).toMatchObject({ count: 1 }); // B missed 1:1, not 1:0
  });

  it('opens the measurement window only once the last subscription has joined', () => {
    const { collector } = setup();
    collector.addWindow({ peer: 'r1-sub-2', sub: 'B', publisherTag: 1, startMs: 5000 });
    collector.startMeasuring(4000);
    expect(collector.measureFromMs).toBe(5100);
    collector.startMeasuring(6000);
    expect(collector.measureFromMs).toBe(6000);
  });

  it('counts a frame the edge AI dropped before the encoder (never sent) in frames_dropped_ai, not as lost', () => {
    const { collector, series } = setup();
    collector.onTelemetry(
      { k: 'ai', f: '1:5', pub: 'r1-pub-1', readyMs: 1000, outcome: 'dropped', device: 'browser' },
      0,
    );
    collector.onTelemetry(
      {
        k: 'ai',
        f: '1:6',
        pub: 'r1-pub-1',
        readyMs: 1033,
        outcome: 'done',
        queueMs: 1,
        stages: { inference: 15 },
        hookMs: 16,
        device: 'browser',
      },
      0,
    );
    collector.onSent({ f: '1:6', peer: 'r1-pub-1', captureMs: 1033, sentMs: 1050, bytes: 10, keyframe: false }, 0);
    collector.onReceived({ f: '1:6', peer: 'r1-sub-1', sub: 'A', receivedMs: 1060, bytes: 10, keyframe: false }, 0);
    collector.onReceived({ f: '1:6', peer: 'r1-sub-2', sub: 'B', receivedMs: 1061, bytes: 10, keyframe: false }, 0);
    collector.finalise(10_000, true);
    const summaries = series.summaries();
    expect(summaries['frames_dropped_ai']).toMatchObject({ count: 1 });
    expect(summaries['frames_lost']).toMatchObject({ count: 0 });
    expect(summaries['frames_sent']).toMatchObject({ count: 1 });
    expect(series.trend('ai_inference_ms')?.count).toBe(1);
  });

  it('counts a second copy of a frame at one receiver in frames_duplicated, before and after the frame is judged, and nothing else of it', () => {
    const { collector, series, records } = setup();
    const receipt = {
      f: '1:0',
      peer: 'r1-sub-1',
      sub: 'A',
      receivedMs: 1030,
      firstPacketMs: 1025,
      bytes: 10,
      keyframe: false,
    };
    collector.onSent({ f: '1:0', peer: 'r1-pub-1', captureMs: 1000, sentMs: 1001, bytes: 10, keyframe: false }, 1000);
    collector.onReceived(receipt, 1030);
    collector.onReceived({ ...receipt, receivedMs: 1045 }, 1045);
    collector.onReceived({ ...receipt, sub: 'B', peer: 'r1-sub-2' }, 1030);
    collector.finalise(10_000);
    // a copy that reaches the harness after the frame was judged
    collector.onReceived({ ...receipt, receivedMs: 1050 }, 10_100);
    collector.finalise(30_000, true);
    const summaries = series.summaries();
    expect(summaries['frames_duplicated']).toMatchObject({ count: 2 });
    expect(summaries['frames_received']).toMatchObject({ count: 2 });
    expect(series.trend('frame_latency_ms')?.count).toBe(2);
    expect(records.filter((r) => r.subscriber === 'r1-sub-1').map((r) => r.frameLatencyMs)).toEqual([30]);
    expect(collector.accounting.summary()).toMatchObject({ expected: 2, received: 2, lost: 0, holds: true });
  });

  it('keeps copies of warm-up frames out of frames_duplicated', () => {
    const { collector, series } = setup();
    collector.measureFromMs = 5000;
    const receipt = {
      f: '1:0',
      peer: 'r1-sub-1',
      sub: 'A',
      receivedMs: 1030,
      firstPacketMs: 1025,
      bytes: 10,
      keyframe: false,
    };
    collector.onSent({ f: '1:0', peer: 'r1-pub-1', captureMs: 1000, sentMs: 1001, bytes: 10, keyframe: false }, 1000);
    collector.onReceived(receipt, 1030);
    collector.onReceived(receipt, 1031);
    collector.finalise(30_000, true);
    expect(series.summaries()['frames_duplicated']).toMatchObject({ count: 0 });
  });
});
