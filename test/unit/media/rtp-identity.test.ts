import { describe, expect, it } from 'vitest';

import {
  ABS_CAPTURE_TIME_URI,
  decodeAbsCaptureTime,
  decodeFrameId,
  encodeAbsCaptureTime,
  encodeFrameId,
  extensionIdsFrom,
  FRAME_ID_URI,
  readIdentity,
} from '../../../src/media/rtp-identity.js';
import { msToNtp, ntpToMs } from '../../../src/metrics/clock.js';

describe('frame identity extensions', () => {
  it('round-trips capture time through NTP with sub-microsecond error', () => {
    const ms = 1_795_610_211_069.2979;
    expect(Math.abs(ntpToMs(msToNtp(ms)) - ms)).toBeLessThan(0.001);
    expect(decodeAbsCaptureTime(encodeAbsCaptureTime(ms))).toBeCloseTo(ms, 3);
  });

  it('puts the Unix epoch at NTP second 2208988800', () => {
    expect(msToNtp(0) >> 32n).toBe(2_208_988_800n);
  });

  it('round-trips frame ids, including the largest values', () => {
    const id = { publisherTag: 0xffffffff, frameSeq: 123456 };
    expect(decodeFrameId(encodeFrameId(id))).toEqual(id);
  });

  it('rejects payloads of the wrong size', () => {
    expect(decodeFrameId(Buffer.alloc(7))).toBeUndefined();
    expect(decodeAbsCaptureTime(Buffer.alloc(4))).toBeUndefined();
  });

  it('reads identity by the ids negotiated on the connection', () => {
    const ids = extensionIdsFrom([
      { id: 3, uri: FRAME_ID_URI },
      { id: 7, uri: ABS_CAPTURE_TIME_URI },
    ]);
    const identity = readIdentity(
      [
        { id: 1, payload: Buffer.from([1, 2, 3]) },
        { id: 3, payload: encodeFrameId({ publisherTag: 2, frameSeq: 9 }) },
        { id: 7, payload: encodeAbsCaptureTime(1000) },
      ],
      ids,
    );
    expect(identity.id).toEqual({ publisherTag: 2, frameSeq: 9 });
    expect(identity.captureMs).toBeCloseTo(1000, 3);
    expect(readIdentity([{ id: 4, payload: encodeFrameId({ publisherTag: 2, frameSeq: 9 }) }], ids)).toEqual({});
  });
});
