import { describe, expect, it } from 'vitest';

import { PeerTracker } from '../../../src/orchestrator/peer-tracker.js';
import type { PeerOutcome } from '../../../src/orchestrator/run-context.js';

const noop = (): void => undefined;

describe('peer tracker', () => {
  it('a peer goes planned -> joining -> joined -> leaving -> left, counted as connected until it has left', () => {
    const peers = new PeerTracker(['p1', 's1']);
    expect(peers.stateOf('s1')).toBe('planned');
    const outcomes: PeerOutcome[] = [];
    peers.startJoining('s1', (o) => outcomes.push(o));
    expect(peers.stateOf('s1')).toBe('joining');
    expect(peers.joiningCount).toBe(1);
    expect(peers.isJoined('s1')).toBe(false);
    peers.pending('s1')?.({ ok: true });
    expect(outcomes).toEqual([{ ok: true }]);

    expect(peers.joined('s1')).toBe(false);
    expect(peers.stateOf('s1')).toBe('joined');
    expect(peers.pending('s1')).toBeUndefined();
    expect(peers.joiningCount).toBe(0);
    expect(peers.connected).toBe(1);

    let left = 0;
    peers.startLeaving('s1', () => (left += 1));
    expect(peers.stateOf('s1')).toBe('leaving');
    expect(peers.isJoined('s1')).toBe(true);
    expect(peers.joinedCount).toBe(1);
    peers.left('s1');
    expect(peers.stateOf('s1')).toBe('left');
    expect(left).toBe(1);
    expect(peers.joinedCount).toBe(0);
    // the callback runs once
    peers.left('s1');
    expect(left).toBe(1);

    // a peer that left may join again, and counts as connected again
    peers.startJoining('s1', noop);
    peers.joined('s1');
    expect(peers.connected).toBe(2);
    expect(peers.joinedPeers()).toEqual(['s1']);
  });

  it('a peer the ramp let go while it connected leaves once it has joined', () => {
    const peers = new PeerTracker(['s1']);
    peers.startJoining('s1', noop);
    peers.leaveAfterJoin('s1');
    expect(peers.stateOf('s1')).toBe('leave-after-join');
    expect(peers.joiningCount).toBe(1);
    expect(peers.rampCanTake('s1')).toBe(false);
    expect(peers.joined('s1')).toBe(true);
    expect(peers.stateOf('s1')).toBe('joined');
    // only a connecting peer can be told to leave after joining
    peers.leaveAfterJoin('s1');
    expect(peers.stateOf('s1')).toBe('joined');
  });

  it('a peer that never connected is unusable; one that failed while running is failed; each failure is recorded once', () => {
    const peers = new PeerTracker(['s1', 's2']);
    peers.startJoining('s1', noop);
    peers.connectFailed('s1', { message: 'did not connect within 100 ms', atMs: 5 });
    expect(peers.stateOf('s1')).toBe('unusable');
    expect(peers.pending('s1')).toBeUndefined();
    expect(peers.rampCanTake('s1')).toBe(false);
    // a late report of the same peer failing is not a second failure
    expect(peers.failedWhileRunning('s1', { message: 'late', atMs: 9 })).toBe(false);

    peers.startJoining('s2', noop);
    peers.joined('s2');
    expect(peers.failedWhileRunning('s2', { message: 'ICE failed', atMs: 7 })).toBe(true);
    expect(peers.stateOf('s2')).toBe('failed');
    expect(peers.isJoined('s2')).toBe(false);
    expect(peers.failedWhileRunning('s2', { message: 'ICE failed again', atMs: 8 })).toBe(false);
    // a failed peer that then leaves stays failed
    peers.left('s2');
    expect(peers.stateOf('s2')).toBe('failed');

    expect(peers.failures).toEqual([
      { peer: 's1', message: 'did not connect within 100 ms', atMs: 5 },
      { peer: 's2', message: 'ICE failed', atMs: 7 },
    ]);
    expect(peers.connected).toBe(1);
  });

  it('a leave its runner never confirms leaves the peer connected, and the ramp may take it again', () => {
    const peers = new PeerTracker(['s1']);
    peers.startJoining('s1', noop);
    peers.joined('s1');
    let called = false;
    peers.startLeaving('s1', () => (called = true));
    expect(peers.rampCanTake('s1')).toBe(false);
    peers.leaveTimedOut('s1');
    expect(peers.stateOf('s1')).toBe('joined');
    expect(peers.rampCanTake('s1')).toBe(true);
    peers.left('s1');
    expect(called).toBe(false);
  });

  it('a peer that failed while leaving is not taken again until its leave is settled', () => {
    const peers = new PeerTracker(['s1']);
    peers.startJoining('s1', noop);
    peers.joined('s1');
    let called = 0;
    peers.startLeaving('s1', () => (called += 1));
    expect(peers.failedWhileRunning('s1', { message: 'page crashed', atMs: 1 })).toBe(true);
    expect(peers.rampCanTake('s1')).toBe(false);
    peers.left('s1');
    expect(called).toBe(1);
    expect(peers.rampCanTake('s1')).toBe(true);
  });

  it('the ramp lets go of the subscriber it took last first, and keeps a failed one until then', () => {
    const peers = new PeerTracker(['s1', 's2', 's3']);
    for (const id of ['s2', 's1', 's3']) {
      peers.startJoining(id, noop);
      peers.joined(id);
      peers.rampTake(id);
    }
    expect(peers.rampCount).toBe(3);
    expect(peers.rampLast()).toBe('s3');
    peers.failedWhileRunning('s1', { message: 'gone', atMs: 1 });
    // a failed subscriber still holds its place in the ramp
    expect(peers.rampCount).toBe(3);
    peers.rampRelease('s3');
    expect(peers.rampLast()).toBe('s1');
    expect(peers.rampCanTake('s3')).toBe(true);
    peers.rampRelease('s1');
    expect(peers.rampLast()).toBe('s2');
    expect(peers.rampCanTake('s1')).toBe(true);
    // joined order: s2, s1 (failed now), s3
    expect(peers.joinedPeers()).toEqual(['s2', 's3']);
  });
});
