/**
 * Whether a connected peer's connection still hears from the target. A target that restarts, or a link that
 * stays down, leaves a connection that looks connected: werift keeps it `connected` until ICE consent expires
 * (30 s), Chromium calls it `disconnected` and waits as long. The watch is told what the connection reports
 * (something arrived; its state) and, checked every second, reports it lost once nothing has arrived for the
 * scenario's `silenceTimeout`, or at once when the connection itself failed. It reports once.
 */
import { nowMs } from '../metrics/clock.js';
import type { LostConnection } from '../protocol/runner-ipc.js';

const CHECK_EVERY_MS = 1000;
/** a check this much later than the previous one means this process stalled, ms */
const STALLED_MS = 2500;

export class SilenceWatch {
  private lastHeardMs = nowMs();
  private lastCheckMs = this.lastHeardMs;
  private disconnectedSinceMs: number | undefined;
  private done = false;
  private readonly timer: NodeJS.Timeout;

  /**
   * `endpointUrl` is the target's; its origin (`http://host:port`) names it in the message. `probe`, called every
   * second, says whether anything arrived since its previous call (undefined: it cannot tell, only the state is
   * judged).
   */
  private readonly what: string;

  constructor(
    endpointUrl: string,
    private readonly silenceMs: number,
    private readonly onLost: (lost: Omit<LostConnection, 'publisherTag'>) => void,
    private readonly probe: () => boolean | undefined,
  ) {
    this.what = new URL(endpointUrl).origin;
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  /**
   * The connection's own state: `failed` is lost at once. Where packets cannot be counted (no `probe`), a
   * `disconnected` connection (a browser's: its ICE checks go unanswered) is silent from when it became so.
   */
  state(state: string, atMs = nowMs()): void {
    if (state === 'failed') this.lose(`the media connection to ${this.what} failed`);
    else if (state === 'disconnected') this.disconnectedSinceMs ??= atMs;
    else this.disconnectedSinceMs = undefined;
  }

  /** Checks now (the timer does every second). */
  check(now = nowMs()): void {
    if (this.done) return;
    const sinceCheckMs = now - this.lastCheckMs;
    this.lastCheckMs = now;
    const heard = this.probe();
    // a check that comes seconds late: this process stalled and read nothing meanwhile, whatever had arrived;
    // that is not the target's silence (the run's saturation verdict reports the stall), so it starts afresh
    if (sinceCheckMs > STALLED_MS) {
      this.lastHeardMs = now;
      return;
    }
    // what the probe counted arrived since the previous check: after that, so the silence is never understated
    if (heard === true) this.lastHeardMs = now - sinceCheckMs;
    else if (heard === undefined && this.disconnectedSinceMs === undefined) this.lastHeardMs = now;
    const silentMs = now - (heard === undefined ? (this.disconnectedSinceMs ?? now) : this.lastHeardMs);
    if (silentMs < this.silenceMs) return;
    const seconds = `${Math.round(silentMs / 1000)} s (silenceTimeout ${this.silenceMs / 1000} s)`;
    this.lose(
      heard === undefined
        ? `the media connection to ${this.what} was disconnected for ${seconds}: it is lost`
        : `nothing arrived from ${this.what} for ${seconds}: the media connection is lost`,
    );
  }

  /** Stops watching (the peer is closing the connection itself). */
  stop(): void {
    this.done = true;
    clearInterval(this.timer);
  }

  private lose(message: string): void {
    if (this.done) return;
    this.stop();
    this.onLost({ message, lastHeardMs: this.lastHeardMs });
  }
}

/**
 * A count sampled elsewhere (a browser page's, page/heard.ts) as a SilenceWatch probe: whether it grew since the
 * previous probe. Where no new sample has come for a while, the sampler (the page) is stalled, and that is not
 * the target's silence: the probe cannot tell (undefined), and the run's saturation verdict reports the stall.
 */
export class SampledCounter {
  private last: { count: number; atMs: number; grew: boolean; seenMs: number } | undefined;

  update(sample: { count: number; atMs: number }, now = nowMs()): void {
    const last = this.last;
    if (last?.atMs === sample.atMs) return;
    this.last = { ...sample, grew: last === undefined || sample.count > last.count || last.grew, seenMs: now };
  }

  probe(now = nowMs()): boolean | undefined {
    const last = this.last;
    if (!last || now - last.seenMs > STALLED_MS) return undefined;
    const { grew } = last;
    last.grew = false;
    return grew;
  }
}
