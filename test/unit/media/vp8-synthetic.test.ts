import { describe, expect, it } from 'vitest';
import { Vp8RtpPayload } from 'werift';

import {
  buildVp8Frame,
  FrameSizer,
  isVp8FrameStart,
  isVp8Keyframe,
  MAX_RTP_PAYLOAD_BYTES,
  packetizeVp8,
} from '../../../src/media/vp8-synthetic.js';

describe('synthetic VP8', () => {
  it('averages the target bitrate with periodic keyframes', () => {
    const sizer = new FrameSizer({ bitrateKbps: 600, fps: 30, keyframeIntervalMs: 2000, random: () => 0.5 });
    let bytes = 0;
    let keyframes = 0;
    for (let i = 0; i < 300; i += 1) {
      const frame = sizer.next();
      bytes += frame.sizeBytes;
      if (frame.keyframe) keyframes += 1;
    }
    expect(keyframes).toBe(5); // 10 s at one keyframe per 2 s
    expect((bytes * 8) / 10 / 1000).toBeCloseTo(600, -1);
  });

  it('makes the next frame a keyframe on request', () => {
    const sizer = new FrameSizer({ bitrateKbps: 600, fps: 30, keyframeIntervalMs: 2000 });
    sizer.next();
    expect(sizer.next().keyframe).toBe(false);
    sizer.requestKeyframe();
    expect(sizer.next().keyframe).toBe(true);
  });

  it('packetizes with a descriptor werift recognises, keyframe flag included', () => {
    const frame = buildVp8Frame({ keyframe: true, sizeBytes: 5000 }, 640, 360);
    const payloads = packetizeVp8(frame, 300);
    expect(payloads.length).toBe(Math.ceil(5000 / (MAX_RTP_PAYLOAD_BYTES - 4)));
    expect(payloads.every((p) => p.length <= MAX_RTP_PAYLOAD_BYTES)).toBe(true);
    expect(isVp8FrameStart(payloads[0] as Buffer)).toBe(true);
    expect(isVp8FrameStart(payloads[1] as Buffer)).toBe(false);
    expect(isVp8Keyframe(payloads[0] as Buffer)).toBe(true);
    const parsed = Vp8RtpPayload.deSerialize(payloads[0] as Buffer);
    expect(parsed.isKeyframe).toBe(true);
    expect(parsed.pictureId).toBe(300);
    expect(Buffer.concat(payloads.map((p) => p.subarray(4)))).toEqual(frame);
  });

  it('marks delta frames as such', () => {
    const payloads = packetizeVp8(buildVp8Frame({ keyframe: false, sizeBytes: 800 }, 640, 360), 1);
    expect(payloads).toHaveLength(1);
    expect(isVp8Keyframe(payloads[0] as Buffer)).toBe(false);
    expect(Vp8RtpPayload.deSerialize(payloads[0] as Buffer).isKeyframe).toBe(false);
  });
});
