import { describe, expect, it } from 'vitest';

import { FrameCollector } from '../../../src/metrics/collector.js';
import { MetricSeries } from '../../../src/metrics/series.js';
import type { FrameRecord } from '../../../src/metrics/types.js';
import type { ReceivedFrameRecord, SentFrameRecord } from '../../../src/protocol/runner-ipc.js';

/** 20 frames of an encoded source (real VP8 sizes vary), publisher timestamps 3000 apart. */
const SENT: SentFrameRecord[] = Array.from({ length: 20 }, (_, i) => ({
  f: `1:${i}`,
  peer: 'r1-pub-1',
  captureMs: 1000 + i * 33,
  sentMs: 1001 + i * 33,
  bytes: 900 + ((i * 7919) % 613),
  keyframe: i === 0,
  rtpTs: 90_000 + i * 3000,
}));

describe('frame identity in the collector', () => {
  it('names frames behind an SFU that stripped the extensions and rewrote timestamps, and says how', () => {
    const series = new MetricSeries();
    const records: FrameRecord[] = [];
    const peers = new Map([
      ['r1-pub-1', { room: 'r1', kind: 'synthetic' }],
      ['r1-sub-1', { room: 'r1', kind: 'synthetic' }],
      ['r1-sub-2', { room: 'r1', kind: 'synthetic' }],
    ]);
    const collector = new FrameCollector(series, peers, (r) => records.push(r));
    collector.measureFromMs = 0;
    collector.registerPublisher(1, 'r1-pub-1', 'S');
    collector.addWindow({ peer: 'r1-sub-1', sub: 'A', publisherTag: 1, startMs: 0 });
    collector.addWindow({ peer: 'r1-sub-2', sub: 'B', publisherTag: 1, startMs: 0 });
    const offset = 0xfff0_0000; // the SFU's timeline for subscription B, wrapping past 2^32
    for (const sent of SENT) {
      collector.onSent(sent, sent.sentMs);
      const base = { receivedMs: sent.sentMs + 20, bytes: sent.bytes + 4, keyframe: sent.keyframe };
      const a: ReceivedFrameRecord = { ...base, f: sent.f, identity: 'payload', peer: 'r1-sub-1', sub: 'A' };
      const b: ReceivedFrameRecord = {
        ...base,
        peer: 'r1-sub-2',
        sub: 'B',
        rtpTs: ((sent.rtpTs as number) + offset) >>> 0,
        frameBytes: sent.bytes,
      };
      collector.onReceived(a, sent.sentMs + 20);
      collector.onReceived(b, sent.sentMs + 20);
    }
    collector.finalise(100_000, true);
    const atB = records.filter((r) => r.subscriber === 'r1-sub-2');
    expect(atB.map((r) => r.frameId)).toEqual(SENT.map((s) => s.f));
    expect(atB.map((r) => [r.identity, r.frameLatencyMs])).toEqual(SENT.map(() => ['rtp-offset', 21]));
    expect(series.summaries()['identity_lost']).toMatchObject({ count: 0 });
    expect(collector.identity.summary()).toEqual({
      methods: { payload: 20, 'rtp-offset': 20 },
      identityLost: 0,
      subscriptions: [
        {
          peer: 'r1-sub-1',
          sub: 'A',
          publisher: 'r1-pub-1',
          method: 'payload',
          methods: { payload: 20 },
          identityLost: 0,
        },
        {
          peer: 'r1-sub-2',
          sub: 'B',
          publisher: 'r1-pub-1',
          method: 'rtp-offset',
          methods: { 'rtp-offset': 20 },
          identityLost: 0,
        },
      ],
    });
  });
});
