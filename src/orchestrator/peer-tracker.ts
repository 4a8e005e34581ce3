/**
 * Where each planned peer of a run stands, one state per peer, and the failures recorded on the way. Pure
 * bookkeeping: the runner sends the commands and tells the tracker what came back.
 *
 *   planned -> joining -> joined -> leaving -> left -> joining ...     (executors make peers come and go)
 *              joining -> leave-after-join -> joined (then leaves)      (the ramp went down while it connected)
 *              joining | leave-after-join -> unusable                  (never connected: not tried again)
 *              joined | leaving -> failed                              (failed while running)
 */
import { nowMs } from '../metrics/clock.js';
import type { PeerOutcome } from './run-context.js';

type PeerState = 'planned' | 'joining' | 'joined' | 'leave-after-join' | 'leaving' | 'left' | 'unusable' | 'failed';

interface PeerFailure {
  peer: string;
  message: string;
  /** since the run started, ms */
  atMs: number;
}

export interface PeerError {
  peer: string;
  message: string;
}

interface Entry {
  state: PeerState;
  /** joining: settles the connect the runner was asked for */
  settle?: (outcome: PeerOutcome) => void;
  /** leaving: called once the peer has left */
  onLeft?: () => void;
  /** when it last joined: connected peers are listed in the order they joined */
  joinSeq?: number;
  /** ramping-peers: when the ramp took this subscriber (the last taken leaves first); undefined: not held */
  rampSeq?: number;
  /** when it was last asked to leave, or failed (harness clock) */
  endedMs?: number;
}

export class PeerTracker {
  private readonly entries = new Map<string, Entry>();
  private nextRampSeq = 0;
  private nextJoinSeq = 0;
  /** every peer that failed (to connect, or while running), in order: the summary's `peers.failed` */
  readonly failures: PeerFailure[] = [];
  /** errors peers survived (a stats read failed, a page threw), in order: the summary's `peers.errors` */
  readonly errors: PeerError[] = [];
  /** connects that succeeded (a peer that rejoins counts again) */
  connected = 0;

  constructor(peerIds: Iterable<string>) {
    for (const id of peerIds) this.entries.set(id, { state: 'planned' });
  }

  stateOf(peerId: string): PeerState {
    return this.entry(peerId).state;
  }

  /**
   * When a peer that is not connected now stopped being so (asked to leave, or failed); undefined while it is
   * connected or connecting, -Infinity for one that never connected.
   */
  endedMs(peerId: string): number | undefined {
    const e = this.entry(peerId);
    if (e.state === 'joined' || e.state === 'joining' || e.state === 'leave-after-join') return undefined;
    return e.endedMs ?? Number.NEGATIVE_INFINITY;
  }

  /** Connected now (a peer asked to leave is connected until it has left). */
  isJoined(peerId: string): boolean {
    const { state } = this.entry(peerId);
    return state === 'joined' || state === 'leaving';
  }

  /** The peers connected now, in the order they (last) joined. */
  joinedPeers(): string[] {
    return [...this.entries]
      .filter(([id]) => this.isJoined(id))
      .sort(([, a], [, b]) => (a.joinSeq ?? 0) - (b.joinSeq ?? 0))
      .map(([id]) => id);
  }

  get joinedCount(): number {
    let n = 0;
    for (const id of this.entries.keys()) if (this.isJoined(id)) n += 1;
    return n;
  }

  /** Peers connecting now. */
  get joiningCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.state === 'joining' || e.state === 'leave-after-join') n += 1;
    return n;
  }

  /** The runner was asked to connect the peer; `settle` ends the wait. */
  startJoining(peerId: string, settle: (outcome: PeerOutcome) => void): void {
    const e = this.entry(peerId);
    e.state = 'joining';
    e.settle = settle;
  }

  /** What settles a peer that is connecting; undefined once it has. */
  pending(peerId: string): ((outcome: PeerOutcome) => void) | undefined {
    return this.entries.get(peerId)?.settle;
  }

  /** It connected. True when the ramp no longer wants it (it should leave now). */
  joined(peerId: string): boolean {
    const e = this.entry(peerId);
    const leaveNow = e.state === 'leave-after-join';
    e.state = 'joined';
    e.joinSeq = this.nextJoinSeq++;
    delete e.settle;
    this.connected += 1;
    return leaveNow;
  }

  /** A signal ended the run while it connected: neither connected nor failed, and no longer waited for. */
  abandon(peerId: string): void {
    const e = this.entry(peerId);
    if (!e.settle) return;
    e.state = 'planned';
    delete e.settle;
  }

  /** It never connected (refused, timed out, no publisher, no runner): executors do not try it again. */
  connectFailed(peerId: string, failure: Omit<PeerFailure, 'peer'>): void {
    const e = this.entry(peerId);
    e.state = 'unusable';
    delete e.settle;
    this.failures.push({ peer: peerId, ...failure });
  }

  /** It failed while connected. False (nothing recorded) when it had already failed. */
  failedWhileRunning(peerId: string, failure: Omit<PeerFailure, 'peer'>): boolean {
    const e = this.entry(peerId);
    if (e.state === 'failed' || e.state === 'unusable') return false;
    e.state = 'failed';
    e.endedMs = nowMs();
    this.failures.push({ peer: peerId, ...failure });
    return true;
  }

  /** It hit an error it survived: counted, its state unchanged. */
  recordError(peerId: string, message: string): void {
    this.errors.push({ peer: peerId, message });
  }

  /** ramping-peers: it should leave once it has connected. */
  leaveAfterJoin(peerId: string): void {
    const e = this.entry(peerId);
    if (e.state === 'joining') e.state = 'leave-after-join';
  }

  /** The runner was asked to take it out; `onLeft` is called once it has left. */
  startLeaving(peerId: string, onLeft: () => void): void {
    const e = this.entry(peerId);
    e.state = 'leaving';
    e.endedMs = nowMs();
    e.onLeft = onLeft;
  }

  /** It left the run (its runner said so). */
  left(peerId: string): void {
    const e = this.entry(peerId);
    if (e.state === 'joined' || e.state === 'leaving') e.state = 'left';
    const onLeft = e.onLeft;
    delete e.onLeft;
    onLeft?.();
  }

  /** Its runner did not confirm the leave in time: it counts as connected still, and may be taken again. */
  leaveTimedOut(peerId: string): void {
    const e = this.entry(peerId);
    delete e.onLeft;
    if (e.state === 'leaving') e.state = 'joined';
  }

  /** ramping-peers: the ramp holds this subscriber now (joining or joined). */
  rampTake(peerId: string): void {
    this.entry(peerId).rampSeq = this.nextRampSeq++;
  }

  /** ramping-peers: the ramp no longer holds it. */
  rampRelease(peerId: string): void {
    delete this.entry(peerId).rampSeq;
  }

  /** ramping-peers: how many subscribers the ramp holds. */
  get rampCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.rampSeq !== undefined) n += 1;
    return n;
  }

  /** ramping-peers: the subscriber the ramp took last (it leaves first). */
  rampLast(): string | undefined {
    let last: [string, number] | undefined;
    for (const [id, e] of this.entries)
      if (e.rampSeq !== undefined && (!last || e.rampSeq > last[1])) last = [id, e.rampSeq];
    return last?.[0];
  }

  /** ramping-peers: the ramp may take this peer (it is not held, not connecting or leaving, and can connect). */
  rampCanTake(peerId: string): boolean {
    const e = this.entry(peerId);
    return (
      e.rampSeq === undefined &&
      // a leave still pending (a peer that failed while leaving): its runner may yet say it left
      e.onLeft === undefined &&
      e.state !== 'unusable' &&
      e.state !== 'leaving' &&
      e.state !== 'joining' &&
      e.state !== 'leave-after-join'
    );
  }

  private entry(peerId: string): Entry {
    let e = this.entries.get(peerId);
    if (!e) {
      e = { state: 'planned' };
      this.entries.set(peerId, e);
    }
    return e;
  }
}
