/**
 * The A/V sync join (`av_sync_ms`, docs/metrics.md): a receiver reports each marker burst it heard (AvMarkerRecord);
 * the collector emits each received frame once judged (FrameRecord). A frame whose sequence number carries a marker
 * (av-marker.ts) is paired with the burst of the same id heard at the same subscription nearest to it in time, and
 * the sample is the burst's time minus the frame's receivedMs: both at receipt, at synthetic and browser receivers
 * alike (see audio-receipt.ts for why not as played).
 * Either side may come first: bursts usually do (a frame is judged seconds after it arrived), so the frame record
 * gets `avSyncMs` before it is written; a burst that comes after its frame still counts in the metric.
 * Also `time_to_first_audio_ms`, from each subscription's window.
 */
import { markerIdOfFrame } from '../media/av-marker.js';
import type { AvMarkerRecord, SubscriptionWindow } from '../protocol/runner-ipc.js';
import type { FrameRecord, Tags } from './types.js';

/**
 * A burst and a frame further apart than this are not a pair: less than half the time before a marker id comes
 * back (8 markers of 30 frames: 8 s at 30 fps), far more than any A/V offset worth measuring.
 */
const PAIR_WINDOW_MS = 3000;
/**
 * A burst whose tone could not be told (cut short by loss) pairs only this near: under half the time between markers
 * at 60 fps (500 ms), so it never takes the frame of the marker before or after its own.
 */
const UNNAMED_PAIR_WINDOW_MS = 240;
/** an unpaired burst or frame is forgotten once the session has seen something this much newer */
const KEEP_MS = 20_000;

interface PendingFrame {
  id: number;
  ms: number;
  tags: Tags;
}

interface Session {
  bursts: AvMarkerRecord[];
  frames: PendingFrame[];
  newestMs: number;
}

export type RecordSample = (metric: 'av_sync_ms' | 'time_to_first_audio_ms', value: number, tags: Tags) => void;

export class AvSyncJoin {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly record: RecordSample) {}

  private session(sub: string): Session {
    let s = this.sessions.get(sub);
    if (!s) {
      s = { bursts: [], frames: [], newestMs: Number.NEGATIVE_INFINITY };
      this.sessions.set(sub, s);
    }
    return s;
  }

  /** A burst a receiver heard. */
  onMarker(burst: AvMarkerRecord): void {
    const s = this.session(burst.sub);
    this.forgetOld(s, burst.ms);
    const at = nearest(s.frames, burst.ms, (f) =>
      burst.id === undefined ? Math.abs(f.ms - burst.ms) <= UNNAMED_PAIR_WINDOW_MS : f.id === burst.id,
    );
    if (at < 0) {
      s.bursts.push(burst);
      return;
    }
    const [frame] = s.frames.splice(at, 1) as [PendingFrame];
    this.sample(burst.ms - frame.ms, frame.tags);
  }

  /**
   * A received frame, as the collector emits it (before it is written): a marker frame measured inside the window
   * is paired, and gets `avSyncMs` when its burst is known already. Warm-up and late frames are left out.
   */
  onFrame(record: FrameRecord): void {
    if (record.warmup || record.late || record.frameId === undefined) return;
    const id = markerIdOfFrame(Number(record.frameId.split(':')[1]));
    if (id === undefined) return;
    const ms = record.receivedMs;
    if (ms === undefined) return;
    const s = this.session(record.session);
    this.forgetOld(s, ms);
    const tags = {
      room: record.room,
      publisher: record.publisher ?? '',
      subscriber: record.subscriber,
      peer_kind: record.peerKind,
    };
    const at = nearest(
      s.bursts,
      ms,
      (b) => (b.id === undefined ? Math.abs(b.ms - ms) <= UNNAMED_PAIR_WINDOW_MS : b.id === id),
      (b) => b.ms,
    );
    if (at < 0) {
      s.frames.push({ id, ms, tags });
      return;
    }
    const [burst] = s.bursts.splice(at, 1) as [AvMarkerRecord];
    record.avSyncMs = burst.ms - ms;
    this.sample(record.avSyncMs, tags);
  }

  private sample(valueMs: number, tags: Tags): void {
    this.record('av_sync_ms', valueMs, tags);
  }

  private forgetOld(s: Session, ms: number): void {
    s.newestMs = Math.max(s.newestMs, ms);
    const cutoff = s.newestMs - KEEP_MS;
    if (s.bursts.length > 0 && (s.bursts[0] as AvMarkerRecord).ms < cutoff)
      s.bursts = s.bursts.filter((b) => b.ms >= cutoff);
    if (s.frames.length > 0 && (s.frames[0] as PendingFrame).ms < cutoff)
      s.frames = s.frames.filter((f) => f.ms >= cutoff);
  }

  /**
   * `time_to_first_audio_ms` of every subscription that sent its request and received audio (once, at the end).
   * `tagsOf` gives a subscription's receiver tags.
   */
  recordFirstAudio(windows: SubscriptionWindow[], tagsOf: (window: SubscriptionWindow) => Tags): void {
    for (const w of windows)
      if (w.requestMs !== undefined && w.firstAudioMs !== undefined)
        this.record('time_to_first_audio_ms', w.firstAudioMs - w.requestMs, tagsOf(w));
  }
}

/** Index of the item nearest `ms` (within PAIR_WINDOW_MS) that `fits`, or -1. */
function nearest<T extends { ms: number }>(
  items: T[],
  ms: number,
  fits: (item: T) => boolean,
  msOf: (item: T) => number = (item) => item.ms,
): number {
  let best = -1;
  let bestGap = PAIR_WINDOW_MS;
  for (const [i, item] of items.entries()) {
    const gap = Math.abs(msOf(item) - ms);
    if (gap <= bestGap && fits(item)) {
      best = i;
      bestGap = gap;
    }
  }
  return best;
}
