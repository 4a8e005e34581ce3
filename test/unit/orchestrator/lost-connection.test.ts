/**
 * When a peer's lost connection (src/peers/liveness.ts) is its failure, and when it is only the end of the
 * stream it received (src/orchestrator/runner-events.ts lostConnectionIsFailure).
 */
import { describe, expect, it } from 'vitest';

import { lostConnectionIsFailure } from '../../../src/orchestrator/runner-events.js';

const T = 1_000_000;

describe('lostConnectionIsFailure', () => {
  it("a publisher's lost connection is a failure", () => {
    expect(lostConnectionIsFailure({ lastHeardMs: T, sendingStoppedMs: 0 })).toBe(true);
  });

  it("a subscriber's is a failure while its publisher is connected", () => {
    expect(lostConnectionIsFailure({ lastHeardMs: T, sendingStoppedMs: 0, publisher: { state: 'connected' } })).toBe(
      true,
    );
  });

  it('the SFU restarted: the publisher was marked failed first, seconds after the silence both saw began', () => {
    // both went silent at T; the publisher's watch reported it 3 s later (silenceTimeout 3 s)
    const publisher = { state: 'failed' as const, endedMs: T + 3000 };
    expect(lostConnectionIsFailure({ lastHeardMs: T, sendingStoppedMs: 0, publisher })).toBe(true);
  });

  it('its publisher left: the SFU ended the stream with it, a second or so before the leave was known', () => {
    const publisher = { state: 'left' as const, endedMs: T };
    expect(lostConnectionIsFailure({ lastHeardMs: T - 1500, sendingStoppedMs: 0, publisher })).toBe(false);
    // silent long before its publisher left: its own connection was lost
    expect(lostConnectionIsFailure({ lastHeardMs: T - 10_000, sendingStoppedMs: 0, publisher })).toBe(true);
  });

  it('its publisher failed long before the SFU ended its sessions (ICE consent expired there): not its failure', () => {
    const publisher = { state: 'failed' as const, endedMs: T };
    expect(lostConnectionIsFailure({ lastHeardMs: T + 30_000, sendingStoppedMs: 0, publisher })).toBe(false);
  });

  it('quiet after the run stopped its publishers: not a failure', () => {
    expect(
      lostConnectionIsFailure({ lastHeardMs: T - 500, sendingStoppedMs: T, publisher: { state: 'connected' } }),
    ).toBe(false);
    expect(
      lostConnectionIsFailure({ lastHeardMs: T - 20_000, sendingStoppedMs: T, publisher: { state: 'connected' } }),
    ).toBe(true);
  });
});
