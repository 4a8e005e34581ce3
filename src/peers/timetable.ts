/**
 * A publisher's open-loop timetable: slot n is due at `startMs + n / fps`, whatever happened to the slots
 * before it. A sender that looks at the clock late does not move the timetable (that would be coordinated
 * omission: a starved sender would quietly send fewer frames and stamp them as if on time). Every due slot is
 * either sent, with its lag measured against its due time, or skipped and reported. Pure: the caller passes
 * the clock, so it is tested with a fake one. Shared by the Node publishers and the page (no Node imports).
 */

/** One slot of the timetable. Its index is the frame's sequence number: a skipped slot consumes its number. */
export interface Slot {
  seq: number;
  /** when the slot was due: the frame's scheduled capture time, ms */
  dueMs: number;
}

export interface TimetableOptions {
  /** frames per second (> 0) */
  fps: number;
  /** when slot 0 is due, ms (the clock's time base) */
  startMs: number;
}

/** What is due at one look at the clock: at most one slot to send now, and the slots given up as too late. */
export interface DueSlots {
  send: Slot | undefined;
  skipped: Slot[];
}

export class Timetable {
  readonly intervalMs: number;
  private readonly startMs: number;
  /** the first slot not yet sent or skipped */
  private next = 0;
  /** slots at or after this index are past the timetable's end (see `endAt`) */
  private end = Number.POSITIVE_INFINITY;

  constructor(options: TimetableOptions) {
    if (!(options.fps > 0)) throw new Error(`timetable: fps must be > 0, got ${options.fps}`);
    this.intervalMs = 1000 / options.fps;
    this.startMs = options.startMs;
  }

  dueMsOf(seq: number): number {
    return this.startMs + seq * this.intervalMs;
  }

  /** When the next slot is due (Infinity once the timetable has ended). */
  nextDueMs(): number {
    return this.next < this.end ? this.dueMsOf(this.next) : Number.POSITIVE_INFINITY;
  }

  /** True once every slot before the end has been sent or skipped. */
  get done(): boolean {
    return this.next >= this.end;
  }

  /**
   * The slots due at `nowMs`, oldest first: a slot late by more than one interval is skipped (the frame after it
   * is due already; sending both would be a burst of stale frames); the oldest slot late by at most one interval
   * is to be sent now. Later slots wait for the next call (ask again at once when `nextDueMs() <= nowMs`).
   */
  take(nowMs: number): DueSlots {
    const skipped: Slot[] = [];
    while (this.next < this.end) {
      const slot = { seq: this.next, dueMs: this.dueMsOf(this.next) };
      if (slot.dueMs > nowMs) break;
      this.next += 1;
      if (nowMs - slot.dueMs > this.intervalMs) {
        skipped.push(slot);
        continue;
      }
      return { send: slot, skipped };
    }
    return { send: undefined, skipped };
  }

  /**
   * Ends the timetable at `atMs`: slots due at or after it are never due. Slots due before it that were not
   * taken yet stay due (a later `take` sends or skips them); returns nothing, so a caller that stops looking at
   * the clock calls `flush` to report them.
   */
  endAt(atMs: number): void {
    // the first slot due at or after atMs
    this.end = Math.min(this.end, Math.max(this.next, Math.ceil((atMs - this.startMs) / this.intervalMs - 1e-9)));
  }

  /** Gives up every slot due before the end (or before `nowMs`, whichever is sooner) not yet taken: all skipped. */
  flush(nowMs: number): Slot[] {
    const skipped: Slot[] = [];
    while (this.next < this.end && this.dueMsOf(this.next) <= nowMs) {
      skipped.push({ seq: this.next, dueMs: this.dueMsOf(this.next) });
      this.next += 1;
    }
    return skipped;
  }
}
