/**
 * The audio marker of A/V sync (`av_sync_ms`, docs/metrics.md): a publisher whose group has `audio: { sync: true }`
 * puts a short tone burst on its audio track every AV_MARKER_EVERY_FRAMES video frames, its first sample at the
 * capture time of the frame whose sequence number is a multiple of it (silence in between). The tone's frequency
 * carries the marker's number modulo AV_MARKER_IDS, so a receiver tells which frame a burst belongs to even when
 * bursts or frames were lost. Pure and dependency-free: synthetic publishers and receivers (Node, Opus through
 * libav) and browser pages (a MediaStreamTrackGenerator's AudioData out, WebCodecs' AudioDecoder in) share it.
 */

/** a marker every this many video frames: once a second at 30 fps */
export const AV_MARKER_EVERY_FRAMES = 30;
/** distinct tones: a burst names its marker modulo this (8 s apart at 30 fps) */
export const AV_MARKER_IDS = 8;
/** burst length: long enough to tell its tone, short enough to leave silence before the next */
export const AV_MARKER_BURST_MS = 60;
/** peak amplitude of the burst (full scale 1) */
const AMPLITUDE = 0.5;
/** a sample this far above silence starts a burst (a quarter of the burst's amplitude) */
const ONSET_THRESHOLD = 0.12;
/** silence (below the threshold) that must come before a burst, ms: longer than a burst's own ringing */
const MIN_SILENCE_MS = 200;
/** the tone is judged on this much audio from shortly after the onset, ms */
const TONE_WINDOW_MS = 10;
const TONE_SKIP_MS = 2;

/** The tone of marker id `id`: 750 Hz to 2500 Hz in 250 Hz steps, far apart for a 10 ms window (100 Hz bins). */
export function markerToneHz(id: number): number {
  return 750 + 250 * (id % AV_MARKER_IDS);
}

/** The marker of video frame `seq`: its id, or undefined when the frame carries none. */
export function markerIdOfFrame(seq: number): number | undefined {
  if (seq < 0 || seq % AV_MARKER_EVERY_FRAMES !== 0) return undefined;
  return (seq / AV_MARKER_EVERY_FRAMES) % AV_MARKER_IDS;
}

/** The burst of marker `id` at `rateHz`: a cosine (full amplitude from its first sample), faded out over its last 5 ms. */
export function markerBurst(id: number, rateHz: number): Float32Array {
  const length = Math.round((AV_MARKER_BURST_MS * rateHz) / 1000);
  const fade = Math.round((5 * rateHz) / 1000);
  const out = new Float32Array(length);
  const w = (2 * Math.PI * markerToneHz(id)) / rateHz;
  for (let i = 0; i < length; i += 1) {
    const gain = i >= length - fade ? (length - i) / fade : 1;
    out[i] = AMPLITUDE * gain * Math.cos(w * i);
  }
  return out;
}

/**
 * Renders samples [firstSample, firstSample + out.length) of a marker track whose sample 0 is the capture time of
 * video frame 0 (the timetable's start) at `fps`: bursts at the frames that carry a marker, silence elsewhere.
 */
export function renderMarkerTrack(out: Float32Array, firstSample: number, fps: number, rateHz: number): void {
  out.fill(0);
  const burstSamples = Math.round((AV_MARKER_BURST_MS * rateHz) / 1000);
  const samplesPerMarker = (AV_MARKER_EVERY_FRAMES * rateHz) / fps;
  const lastSample = firstSample + out.length;
  // every marker whose burst overlaps the block
  let m = Math.max(0, Math.floor((firstSample - burstSamples) / samplesPerMarker));
  for (; ; m += 1) {
    const onset = Math.round(m * samplesPerMarker);
    if (onset >= lastSample) break;
    if (onset + burstSamples <= firstSample) continue;
    const burst = markerBurst(m % AV_MARKER_IDS, rateHz);
    for (let i = Math.max(onset, firstSample); i < Math.min(onset + burstSamples, lastSample); i += 1)
      out[i - firstSample] = burst[i - onset] as number;
  }
}

/** A burst found in received audio: when its first sample played or arrived, and the marker id its tone names. */
export interface DetectedMarker {
  /** the onset sample's time: the block's time plus the sample's offset in it, ms */
  ms: number;
  /** undefined when no tone stood out (a burst cut short by loss) */
  id: number | undefined;
}

/** Goertzel power of `freqHz` over `pcm` (no window: the tones sit 2.5 bins apart). */
function tonePower(pcm: Float32Array, freqHz: number, rateHz: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freqHz) / rateHz);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < pcm.length; i += 1) {
    const s0 = (pcm[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/** The marker id whose tone dominates `pcm`, or undefined when none has at least 4x the power of the next. */
export function toneIdOf(pcm: Float32Array, rateHz: number): number | undefined {
  const powers = Array.from({ length: AV_MARKER_IDS }, (_, id) => tonePower(pcm, markerToneHz(id), rateHz));
  const order = powers.map((p, id) => ({ p, id })).sort((a, b) => b.p - a.p);
  const [best, next] = order;
  if (!best || !next || best.p < 4 * next.p) return undefined;
  return best.id;
}

/**
 * Finds marker bursts in decoded audio, block by block, to the sample: the first sample above the threshold after
 * at least MIN_SILENCE_MS of silence is the onset; its time is the block's time plus the sample's offset at the
 * block's rate. The next TONE_WINDOW_MS (from TONE_SKIP_MS after the onset, past the codec's attack) name it.
 */
export class MarkerDetector {
  /** samples since the last one above the threshold: a receiver that joins mid-burst hears silence first */
  private quietSamples = 0;
  private pending: { ms: number; skip: number; tone: Float32Array; filled: number; rateHz: number } | undefined;

  constructor(private readonly onMarker: (marker: DetectedMarker) => void) {}

  /** One block of mono PCM at `rateHz` whose first sample is at `startMs`. */
  push(pcm: Float32Array, startMs: number, rateHz: number): void {
    const minQuiet = (MIN_SILENCE_MS * rateHz) / 1000;
    for (let i = 0; i < pcm.length; i += 1) {
      const v = pcm[i] as number;
      const pending = this.pending;
      if (pending) {
        if (pending.skip > 0) pending.skip -= 1;
        else {
          pending.tone[pending.filled] = v;
          pending.filled += 1;
          if (pending.filled === pending.tone.length) {
            this.pending = undefined;
            this.onMarker({ ms: pending.ms, id: toneIdOf(pending.tone, pending.rateHz) });
          }
        }
      }
      if (Math.abs(v) < ONSET_THRESHOLD) {
        this.quietSamples += 1;
        continue;
      }
      if (this.quietSamples >= minQuiet && !this.pending) {
        this.pending = {
          ms: startMs + (i * 1000) / rateHz,
          skip: Math.round((TONE_SKIP_MS * rateHz) / 1000),
          tone: new Float32Array(Math.round((TONE_WINDOW_MS * rateHz) / 1000)),
          filled: 0,
          rateHz,
        };
      }
      this.quietSamples = 0;
    }
  }
}
