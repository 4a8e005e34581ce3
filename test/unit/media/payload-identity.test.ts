import { describe, expect, it } from 'vitest';

import {
  PAYLOAD_IDENTITY_BYTES,
  readPayloadIdentity,
  writePayloadIdentity,
} from '../../../src/media/payload-identity.js';
import { buildVp8Frame, depacketizeVp8, FrameSizer, packetizeVp8 } from '../../../src/media/vp8-synthetic.js';

const ID = { publisherTag: 0xdeadbeef, frameSeq: 123_456 };

describe('payload identity', () => {
  it('round-trips through a delta frame and a keyframe, read from the first RTP packet alone', () => {
    for (const keyframe of [false, true]) {
      const frame = buildVp8Frame({ keyframe, sizeBytes: 3000 }, 640, 360);
      expect(writePayloadIdentity(frame, ID)).toBe(true);
      const [first] = packetizeVp8(frame, 7);
      expect(readPayloadIdentity(depacketizeVp8([first as Buffer]))).toEqual(ID);
    }
  });

  it('reads nothing from filler without an id, or from bytes that fail the check', () => {
    const frame = buildVp8Frame({ keyframe: false, sizeBytes: 200 }, 640, 360);
    expect(readPayloadIdentity(frame)).toBeUndefined();
    writePayloadIdentity(frame, ID);
    for (const at of [3, 8, 12, 18]) {
      const corrupted = Buffer.from(frame);
      corrupted[at] = (corrupted[at] as number) ^ 0x01;
      expect(readPayloadIdentity(corrupted)).toBeUndefined();
    }
  });

  it('leaves a frame too small to hold the id untouched, and reads nothing from a truncated one', () => {
    const small = buildVp8Frame({ keyframe: false, sizeBytes: 3 + PAYLOAD_IDENTITY_BYTES - 1 }, 640, 360);
    const before = Buffer.from(small);
    expect(writePayloadIdentity(small, ID)).toBe(false);
    expect(small).toEqual(before);
    const frame = buildVp8Frame({ keyframe: true, sizeBytes: 100 }, 640, 360);
    writePayloadIdentity(frame, ID);
    expect(readPayloadIdentity(frame.subarray(0, 10 + PAYLOAD_IDENTITY_BYTES - 1))).toBeUndefined();
    expect(readPayloadIdentity(Buffer.alloc(0))).toBeUndefined();
  });

  it('the frame sizer never makes a frame too small to carry it', () => {
    const sizer = new FrameSizer({ bitrateKbps: 1, fps: 60, keyframeIntervalMs: 100, random: () => 0 });
    for (let i = 0; i < 20; i += 1) {
      const shape = sizer.next();
      expect(writePayloadIdentity(buildVp8Frame(shape, 640, 360), ID)).toBe(true);
    }
  });
});
