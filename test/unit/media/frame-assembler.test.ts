import { describe, expect, it } from 'vitest';

import { type AssembledFrame, FrameAssembler, type RtpLike } from '../../../src/media/frame-assembler.js';
import { writePayloadIdentity } from '../../../src/media/payload-identity.js';
import { encodeAbsCaptureTime, encodeFrameId } from '../../../src/media/rtp-identity.js';
import { buildVp8Frame, packetizeVp8 } from '../../../src/media/vp8-synthetic.js';

const IDS = { frameId: 2, absCaptureTime: 1 };

function packets(
  seqStart: number,
  timestamp: number,
  frameSeq: number,
  sizeBytes = 3000,
  withIdentity = true,
  inPayload = false,
): RtpLike[] {
  const frame = buildVp8Frame({ keyframe: false, sizeBytes }, 640, 360);
  if (inPayload) writePayloadIdentity(frame, { publisherTag: 1, frameSeq });
  const payloads = packetizeVp8(frame, frameSeq);
  return payloads.map((payload, i) => ({
    header: {
      sequenceNumber: (seqStart + i) & 0xffff,
      timestamp,
      marker: i === payloads.length - 1,
      extensions: withIdentity
        ? [
            { id: 1, payload: encodeAbsCaptureTime(500) },
            { id: 2, payload: encodeFrameId({ publisherTag: 1, frameSeq }) },
          ]
        : [],
    },
    payload,
  }));
}

function collect(): { frames: AssembledFrame[]; assembler: FrameAssembler } {
  const frames: AssembledFrame[] = [];
  return { frames, assembler: new FrameAssembler(IDS, (f) => frames.push(f)) };
}

describe('FrameAssembler', () => {
  it('completes a frame when first, marker and every packet between have arrived', () => {
    const { frames, assembler } = collect();
    const ps = packets(100, 9000, 5);
    ps.forEach((p, i) => assembler.push(p, 1000 + i));
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({
      id: { publisherTag: 1, frameSeq: 5 },
      firstPacketMs: 1000,
      receivedMs: 1000 + ps.length - 1,
      packets: ps.length,
    });
    expect(frames[0]?.captureMs).toBeCloseTo(500, 3);
  });

  it('handles reordering and sequence wrap-around', () => {
    const { frames, assembler } = collect();
    const ps = packets(0xfffe, 9000, 6);
    [...ps].reverse().forEach((p, i) => assembler.push(p, 2000 + i));
    expect(frames).toHaveLength(1);
    expect(frames[0]?.receivedMs).toBe(2000 + ps.length - 1);
  });

  it('does not complete a frame with a missing packet, and ignores duplicates', () => {
    const { frames, assembler } = collect();
    const ps = packets(10, 9000, 7);
    assembler.push(ps[0] as RtpLike, 1);
    assembler.push(ps[0] as RtpLike, 2);
    assembler.push(ps[2] as RtpLike, 3);
    expect(frames).toHaveLength(0);
    assembler.push(ps[1] as RtpLike, 4);
    expect(frames).toHaveLength(1);
    assembler.push(ps[1] as RtpLike, 5); // retransmission after completion
    expect(frames).toHaveLength(1);
  });

  it('reports a frame without identity extensions as such', () => {
    const { frames, assembler } = collect();
    packets(10, 9000, 8, 500, false).forEach((p) => assembler.push(p, 1));
    expect(frames).toHaveLength(1);
    expect(frames[0]?.id).toBeUndefined();
  });

  it('names a frame by the extension when it is there, by the id in its bitstream when an SFU stripped it', () => {
    const { frames, assembler } = collect();
    packets(10, 9000, 8, 2500, true, true).forEach((p) => assembler.push(p, 1));
    packets(20, 12000, 9, 2500, false, true).forEach((p) => assembler.push(p, 2));
    expect(frames.map((f) => [f.id?.frameSeq, f.idMethod])).toEqual([
      [8, 'extension'],
      [9, 'payload'],
    ]);
    // the VP8 frame's own size, as the publisher counts it: payloads without their 4-byte descriptors
    expect(frames[1]?.frameBytes).toBe(2500);
    expect(frames[1]?.bytes).toBe(2500 + 4 * 3);
  });
});
