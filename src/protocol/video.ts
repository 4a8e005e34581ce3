/**
 * Which picture a source paints below its marker strip (media/canvas-pattern.ts `paintPatternLuma`): the synthetic
 * source's (`flat`, or `textured` with `video.texture`, which browser publishers draw too), or a browser
 * publisher's own colour sweep (`canvas`).
 */
export type PatternKind = 'flat' | 'textured' | 'canvas';

/** The video a publisher sends: the scenario's `video` section, also in every publisher's spec (runner IPC). */
export interface VideoOptions {
  /** frame width in pixels; default 640 */
  width: number;
  /** frame height in pixels; default 360 */
  height: number;
  /** frames per second; default 30 */
  fps: number;
  /** target bitrate, kbit/s; default 600 */
  bitrateKbps: number;
  /** a keyframe every this many ms (also on PLI); default 2000 */
  keyframeIntervalMs: number;
  /**
   * synthetic publishers: `synthetic` sends VP8-shaped filler (cheap; receivers cannot decode it),
   * `encoded` paints frames with the pixel marker and encodes real VP8 (libvpx) so browsers can watch; default
   * synthetic
   */
  source: 'synthetic' | 'encoded';
  /**
   * encoded sources and browser publishers: the synthetic source's pattern with a fine drifting texture on its
   * background (i420-painter.ts; browsers draw it as greys instead of their colour sweep), so picture quality falls
   * with bitrate as on camera video; default off (flat backgrounds, which VP8 codes almost losslessly)
   */
  texture?: true;
}
