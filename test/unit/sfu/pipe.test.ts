import { createSocket } from 'node:dgram';

import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';

import { decodePipeMessage, encodeRtp, PipeEndpoint } from '../../../reference-server/cluster/pipe.js';
import { SfuMetrics } from '../../../reference-server/sfu/metrics.js';
import type { SessionContext } from '../../../reference-server/sfu/session.js';
import { TelemetryStream } from '../../../reference-server/sfu/telemetry.js';
import { Trend } from '../../../src/metrics/histogram.js';

function packet(): RtpPacket {
  const header = new RtpHeader({
    payloadType: 96,
    sequenceNumber: 65535,
    timestamp: 4_000_000_000,
    ssrc: 0x12345678,
    marker: true,
    extension: true,
    extensions: [
      { id: 5, payload: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]) },
      { id: 7, payload: Buffer.from([9, 9]) },
    ],
  });
  return new RtpPacket(header, Buffer.from('a VP8 payload'));
}

describe('the pipe between SFU workers', () => {
  it('carries an RTP packet, its kind and frame key unchanged', () => {
    const rtp = packet();
    const message = decodePipeMessage(encodeRtp(42, 'video', rtp, 'f:3:17'));
    expect(message).toMatchObject({ type: 'rtp', pipeId: 42, kind: 'video', key: 'f:3:17' });
    if (message.type !== 'rtp') throw new Error('not rtp');
    expect(message.rtp.serialize()).toEqual(rtp.serialize());
    expect(message.rtp.header.extensions).toEqual(rtp.header.extensions);
    const audio = decodePipeMessage(encodeRtp(0xffffffff, 'audio', rtp, undefined));
    expect(audio).toMatchObject({ type: 'rtp', pipeId: 0xffffffff, kind: 'audio', key: undefined });
  });

  it('refuses what does not parse: short, unknown type, no RTP after the key', () => {
    expect(() => decodePipeMessage(Buffer.from([2, 0, 0]))).toThrow(/shorter than/);
    expect(() => decodePipeMessage(Buffer.from([9, 0, 0, 0, 1, 0]))).toThrow(/unknown type 9/);
    expect(() => decodePipeMessage(Buffer.from([2, 0, 0, 0, 1, 3, 65, 66, 67, 0x80]))).toThrow(/truncated/);
    expect(() => encodeRtp(1, 'video', packet(), 'k'.repeat(256))).toThrow(/at most 255/);
  });
});

describe('the pipe socket of an SFU worker', () => {
  const ctx = (): SessionContext => ({
    metrics: new SfuMetrics(),
    telemetry: new TelemetryStream(),
    forwardTrend: new Trend(),
    addDelayMs: 0,
    addAudioDelayMs: 0,
    burnCpuMsPerFrame: 0,
    rewriteRtp: false,
    connectTimeoutMs: 1000,
  });
  const until = async (check: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !check(); i += 1) await new Promise((r) => setTimeout(r, 10));
  };

  it('takes packets only from the worker at the other end of a known pipe, and relays keyframe requests back', async () => {
    const a = new PipeEndpoint(ctx());
    const bCtx = ctx();
    const b = new PipeEndpoint(bCtx);
    const stranger = createSocket('udp4');
    try {
      const [aPort, bPort] = [await a.bind(), await b.bind()];
      let keyframes = 0;
      const out = a.open(7, bPort, () => (keyframes += 1));
      const source = b.accept(7, 'publisher-1', aPort, { kinds: ['video'], extensions: { video: { frameId: 5 } } });
      expect(source.identityExtensions('video')).toEqual({ frameId: 5 });
      out.send('video', packet(), 'f:1:1');
      const received = async (): Promise<number> =>
        (await bCtx.metrics.pipePackets.get()).values.find((v) => v.labels.direction === 'in')?.value ?? 0;
      for (let i = 0; i < 200 && (await received()) === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
      expect(await received()).toBe(1);
      // the same datagram from another socket, an unknown pipe, and garbage: dropped
      await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', () => r()));
      stranger.send(encodeRtp(7, 'video', packet(), 'f:1:2'), bPort, '127.0.0.1');
      stranger.send(Buffer.from([2, 0, 0, 0, 9, 0]), bPort, '127.0.0.1');
      stranger.send(Buffer.from([1]), bPort, '127.0.0.1');
      await until(() => b.dropped >= 3);
      expect(b.dropped).toBe(3);
      expect(await received()).toBe(1);
      source.requestKeyframe();
      source.requestKeyframe(); // within 200 ms: not sent again
      await until(() => keyframes > 0);
      expect(keyframes).toBe(1);
      // a closed pipe is not taken again (a late pipe-in after its close)
      b.closePipe(7, 'in');
      expect(source.isClosed).toBe(true);
      expect(() => b.accept(7, 'publisher-1', aPort, { kinds: ['video'], extensions: {} })).toThrow(/closed/);
    } finally {
      a.close();
      b.close();
      stranger.close();
    }
  });
});
