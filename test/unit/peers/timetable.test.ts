import { describe, expect, it } from 'vitest';

import { type Slot, Timetable } from '../../../src/peers/timetable.js';

/** Drives a timetable the way a publisher's timer does, with a fake clock: look at `nowMs`, take what is due. */
function lookAt(timetable: Timetable, nowMs: number): { sent: Slot[]; skipped: Slot[] } {
  const sent: Slot[] = [];
  const skipped: Slot[] = [];
  // a publisher asks again at once while the next slot is already due
  for (let i = 0; i < 1000 && timetable.nextDueMs() <= nowMs; i += 1) {
    const due = timetable.take(nowMs);
    skipped.push(...due.skipped);
    if (due.send) sent.push(due.send);
  }
  return { sent, skipped };
}

describe('Timetable', () => {
  it('puts slot n at start + n / fps, whenever the clock is read', () => {
    const timetable = new Timetable({ fps: 25, startMs: 1000 });
    expect(lookAt(timetable, 1000).sent).toEqual([{ seq: 0, dueMs: 1000 }]);
    expect(timetable.nextDueMs()).toBe(1040);
    // the timer fired 3 ms late: the slot keeps its time; the next one does not move
    expect(lookAt(timetable, 1043).sent).toEqual([{ seq: 1, dueMs: 1040 }]);
    expect(timetable.nextDueMs()).toBe(1080);
  });

  it('sends a slot late by less than one interval, with its due time (the lag is measured from it)', () => {
    const timetable = new Timetable({ fps: 10, startMs: 0 });
    lookAt(timetable, 0);
    const { sent, skipped } = lookAt(timetable, 190); // slot 1 (due 100) is 90 ms late, inside one 100 ms interval
    expect(skipped).toEqual([]);
    expect(sent).toEqual([{ seq: 1, dueMs: 100 }]);
    expect(190 - (sent[0] as Slot).dueMs).toBe(90);
  });

  it('skips, and reports, every slot late by more than one interval; sends the one after', () => {
    const timetable = new Timetable({ fps: 10, startMs: 0 });
    lookAt(timetable, 0);
    // stalled until 450: slots 1 (350 late), 2 (250) and 3 (150) are more than an interval behind; 4 (50) is not
    const { sent, skipped } = lookAt(timetable, 450);
    expect(skipped.map((s) => s.seq)).toEqual([1, 2, 3]);
    expect(skipped.map((s) => s.dueMs)).toEqual([100, 200, 300]);
    expect(sent).toEqual([{ seq: 4, dueMs: 400 }]);
  });

  it('accounts for every slot: sent + skipped == slots due, under any pattern of stalls', () => {
    const timetable = new Timetable({ fps: 30, startMs: 0 });
    let nowMs = 0;
    let sent = 0;
    let skipped = 0;
    const seen = new Set<number>();
    for (let i = 0; i < 500; i += 1) {
      nowMs += [1, 5, 33, 40, 70, 250][i % 6] as number;
      const step = lookAt(timetable, nowMs);
      for (const s of [...step.sent, ...step.skipped]) seen.add(s.seq);
      sent += step.sent.length;
      skipped += step.skipped.length;
    }
    const due = Math.floor(nowMs / (1000 / 30)) + 1;
    expect(sent + skipped).toBe(due);
    expect(seen.size).toBe(due);
    expect(skipped).toBeGreaterThan(0);
  });

  it('ends at a given instant: slots due before it are still taken, none at or after it', () => {
    const timetable = new Timetable({ fps: 10, startMs: 0 });
    lookAt(timetable, 0);
    timetable.endAt(250);
    const { sent, skipped } = lookAt(timetable, 1000 /* far past the end */);
    expect(timetable.done).toBe(true);
    expect(timetable.nextDueMs()).toBe(Number.POSITIVE_INFINITY);
    // slots 1 and 2 were due before the end and are far too late: skipped; nothing from 300 on is due at all
    expect(skipped.map((s) => s.seq)).toEqual([1, 2]);
    expect(sent).toEqual([]);
  });

  it('flushes the slots due before the end and not taken as skipped when sending stops', () => {
    const timetable = new Timetable({ fps: 10, startMs: 0 });
    lookAt(timetable, 0);
    lookAt(timetable, 100);
    timetable.endAt(260);
    expect(timetable.flush(260).map((s) => s.seq)).toEqual([2]);
    expect(timetable.done).toBe(true);
    expect(timetable.flush(1000)).toEqual([]);
  });

  it('ends exactly at a slot boundary without the slot due at that instant', () => {
    const timetable = new Timetable({ fps: 10, startMs: 0 });
    timetable.endAt(300);
    const { sent, skipped } = lookAt(timetable, 300);
    // slot 2 is exactly one interval late: still sent; slot 3, due at the end instant, is not due
    expect(skipped.map((s) => s.seq)).toEqual([0, 1]);
    expect(sent.map((s) => s.seq)).toEqual([2]);
    expect(timetable.done).toBe(true);
    expect(timetable.flush(300)).toEqual([]);
  });

  it('rejects a non-positive fps', () => {
    expect(() => new Timetable({ fps: 0, startMs: 0 })).toThrow(/fps must be > 0/);
  });
});
