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
   * encoded sources and browser publishers: a fine drifting texture on the pattern's background (i420-painter.ts),
   * so picture quality falls with bitrate as on camera video; default off (a flat background, which VP8 codes
   * almost losslessly at any bitrate)
   */
  texture?: true;
}
