/**
 * Frame identity through an SFU that strips unknown header extensions and rewrites sequence numbers and RTP
 * timestamps: the reference SFU's `rewriteRtp` knob behaves like one (Janus does both). Filler frames are named
 * by the id in their bitstream (`payload`), real VP8 from libvpx through the timestamp offset learned per
 * subscription (`rtp-offset`), a browser publisher's by the marker at a browser, and without the knob by the
 * header extension; every receipt is named, and the summary says how.
 */
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift';

import { ReferenceServer } from '../../reference-server/server.js';
import { encodeAbsCaptureTime, encodeFrameId, extensionIdsFrom } from '../../src/media/rtp-identity.js';
import { buildVp8Frame, packetizeVp8 } from '../../src/media/vp8-synthetic.js';
import { peerConfig } from '../../src/media/werift-config.js';
import type { TrendSummary } from '../../src/metrics/histogram.js';
import { runScenario } from '../../src/orchestrator/runner.js';
import { connectPeer } from '../../src/peers/synthetic/connect.js';
import type { RunSummary } from '../../src/report/summary.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { expectAccountingHolds, tempDir } from '../fixtures/cli.js';
import { requireBinary } from '../fixtures/system.js';

async function run(
  name: string,
  sfu: string,
  video: string,
  subscribers: string,
  publisherKind = 'synthetic',
): Promise<RunSummary> {
  const scenario = scenarioFromText(`name: ${name}
duration: 4s
sfu: ${sfu}
peers:
  - { role: publisher, kind: ${publisherKind}, count: 1, video: ${video} }
  - ${subscribers}
`);
  const dir = await tempDir();
  const { summary } = await runScenario({ scenario, runId: name, outDir: join(dir, 'out') });
  expect(summary.status).toBe('passed');
  expectAccountingHolds(summary);
  return summary;
}

const count = (s: RunSummary, name: string): number => (s.metrics[name] as { count: number } | undefined)?.count ?? 0;

/** Every subscription named its frames by `method`, none lost its identity, and >= 99% have frame_latency_ms. */
function expectNamedBy(summary: RunSummary, method: string, subscriptions: number): void {
  const identity = summary.identity;
  expect(identity?.identityLost).toBe(0);
  expect(count(summary, 'identity_lost')).toBe(0);
  expect(identity?.subscriptions.map((s) => s.method)).toEqual(Array.from({ length: subscriptions }, () => method));
  expect(Object.keys(identity?.methods ?? {})).toEqual([method]);
  const received = count(summary, 'frames_received');
  expect(received).toBeGreaterThan(50 * subscriptions);
  expect(identity?.methods[method as keyof typeof identity.methods]).toBe(received);
  const latency = summary.metrics['frame_latency_ms'] as TrendSummary;
  expect(latency.count).toBeGreaterThanOrEqual(0.99 * received);
}

describe('frame identity through an SFU that rewrites RTP', () => {
  it('the rewriteRtp knob: no identity extensions, sequence numbers and timestamps shifted per subscriber', async () => {
    const server = new ReferenceServer({ rewriteRtp: true });
    const base = `http://127.0.0.1:${await server.listen(0)}`;
    const publisher = new RTCPeerConnection(peerConfig());
    const video = publisher.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
    const published = await connectPeer(publisher, `${base}/whip/rw`, {}, 10_000);
    /** per subscriber: (received - sent) of sequence number and timestamp of each packet, and extensions seen */
    const seen = [0, 1].map(() => ({ seqShifts: new Set<number>(), tsShifts: new Set<number>(), extensions: 0 }));
    const subscribers = await Promise.all(
      seen.map(async (got) => {
        const pc = new RTCPeerConnection(peerConfig());
        const t = pc.addTransceiver('video', { direction: 'recvonly' });
        t.onTrack.subscribe((track) =>
          track.onReceiveRtp.subscribe((rtp) => {
            const ids = extensionIdsFrom(t.headerExtensions);
            if (rtp.header.extensions.some((e) => e.id === ids.frameId || e.id === ids.absCaptureTime))
              got.extensions += 1;
            const i = (rtp.payload[3] as number) - 10; // the frame number, from the VP8 PictureID we sent
            got.seqShifts.add((rtp.header.sequenceNumber - (100 + i) + 0x10000) & 0xffff);
            got.tsShifts.add((rtp.header.timestamp - i * 3000) >>> 0);
          }),
        );
        await connectPeer(pc, `${base}/whep/rw?stream=${published.sessionId}`, {}, 10_000);
        return pc;
      }),
    );
    const ids = extensionIdsFrom(video.headerExtensions);
    for (let i = 0; i < 20; i += 1) {
      // one packet per frame: its PictureID (10 + i) says which frame it is at the receiver
      const [payload] = packetizeVp8(buildVp8Frame({ keyframe: i === 0, sizeBytes: 300 }, 640, 360), 10 + i);
      const extensions = [
        { id: ids.frameId as number, payload: encodeFrameId({ publisherTag: 7, frameSeq: i }) },
        { id: ids.absCaptureTime as number, payload: encodeAbsCaptureTime(1000 + i) },
      ];
      const header = new RtpHeader({
        payloadType: 96,
        sequenceNumber: 100 + i,
        timestamp: i * 3000,
        ssrc: 2222,
        marker: true,
        extension: true,
        extensions,
      });
      void video.sender.sendRtp(new RtpPacket(header, payload as Buffer));
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all([...subscribers.map((pc) => pc.close()), publisher.close()]);
    await server.close();
    for (const got of seen) {
      expect(got.extensions).toBe(0);
      // one shift per subscriber for every packet (its own timeline), never none
      expect(got.seqShifts.size).toBe(1);
      expect(got.tsShifts.size).toBe(1);
      expect([...got.tsShifts][0]).not.toBe(0);
    }
    expect([...(seen[0] as (typeof seen)[0]).tsShifts]).not.toEqual([...(seen[1] as (typeof seen)[0]).tsShifts]);
  });

  it('names filler frames by the id in their bitstream when the SFU strips the extensions', async () => {
    const summary = await run(
      'rewrite-payload',
      '{ rewriteRtp: true }',
      '{ bitrateKbps: 300 }',
      '{ role: subscriber, count: 2 }',
    );
    expectNamedBy(summary, 'payload', 2);
  });

  it('names real VP8 frames through the RTP timestamp offset it learns per subscription', async () => {
    const summary = await run(
      'rewrite-offset',
      '{ rewriteRtp: true }',
      '{ source: encoded, width: 320, height: 180, fps: 30, bitrateKbps: 300 }',
      '{ role: subscriber, count: 2 }',
    );
    expectNamedBy(summary, 'rtp-offset', 2);
  });

  it('names frames by the header extension when the SFU forwards it', async () => {
    const summary = await run(
      'no-rewrite',
      '{ addDelayMs: 0 }',
      '{ bitrateKbps: 300 }',
      '{ role: subscriber, count: 1 }',
    );
    expectNamedBy(summary, 'extension', 1);
  });

  describe('with a browser receiver', () => {
    beforeAll(() => {
      requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
    });

    it("names a browser publisher's frames by the marker at a browser, through the learned offset at a synthetic receiver", async () => {
      const summary = await run(
        'rewrite-marker',
        '{ rewriteRtp: true }',
        '{ width: 640, height: 360, fps: 30, bitrateKbps: 600 }',
        '{ role: subscriber, kind: synthetic, count: 1 }\n  - { role: subscriber, kind: browser, count: 1 }',
        'browser',
      );
      const identity = summary.identity;
      expect(identity?.identityLost).toBe(0);
      expect(count(summary, 'identity_lost')).toBe(0);
      // the browser's reader may pass over a frame: named through the offset its marker-named frames gave
      expect(identity?.subscriptions.map((s) => [s.peer, s.method])).toEqual([
        ['r1-sub2-1', 'rtp-offset'],
        ['r1-sub3-1', 'marker'],
      ]);
      const received = count(summary, 'frames_received');
      expect(received).toBeGreaterThan(100);
      const latency = summary.metrics['frame_latency_ms'] as TrendSummary;
      expect(latency.count).toBeGreaterThanOrEqual(0.99 * received);
      // the SFU's stage times join through the publisher's timestamps, not the receivers' rewritten ones
      expect(count(summary, 'sfu_ms')).toBeGreaterThanOrEqual(0.99 * received);
    });
  });
});
