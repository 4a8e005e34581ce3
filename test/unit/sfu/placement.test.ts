import { describe, expect, it } from 'vitest';

import { placeRoom, placeSubscriber, type WorkerLoad } from '../../../reference-server/cluster/placement.js';

const w = (index: number, sessions: number, rooms = 0, ready = true): WorkerLoad => ({ index, sessions, rooms, ready });

describe('placement of rooms and subscribers on SFU workers', () => {
  it('puts a new room on the worker with the fewest sessions, then the fewest rooms, never on one not ready', () => {
    expect(placeRoom([w(0, 3), w(1, 1), w(2, 2)])).toBe(1);
    expect(placeRoom([w(0, 1, 2), w(1, 1, 1)])).toBe(1);
    expect(placeRoom([w(0, 0, 0, false), w(1, 5)])).toBe(1);
    expect(placeRoom([w(0, 0, 0, false)])).toBeUndefined();
  });

  it("keeps a subscriber on its publisher's worker until that holds perWorker of the room", () => {
    const workers = [w(0, 10), w(1, 0)];
    expect(placeSubscriber(workers, 0, () => 2, 3)).toBe(0);
    expect(placeSubscriber(workers, 0, (i) => (i === 0 ? 3 : 0), 3)).toBe(1);
  });

  it('spreads to the least loaded other worker under the limit, and when all are full to the least loaded', () => {
    const workers = [w(0, 10), w(1, 8), w(2, 4)];
    const counts = [3, 0, 3];
    expect(placeSubscriber(workers, 0, (i) => counts[i] ?? 0, 3)).toBe(1);
    expect(placeSubscriber(workers, 0, () => 3, 3)).toBe(2);
  });

  it('never places on a worker that is not ready', () => {
    expect(placeSubscriber([w(0, 1), w(1, 0, 0, false)], 0, (i) => (i === 0 ? 5 : 0), 5)).toBe(0);
    expect(placeSubscriber([w(0, 0, 0, false), w(1, 0, 0, false)], 0, () => 0, 5)).toBeUndefined();
  });
});
