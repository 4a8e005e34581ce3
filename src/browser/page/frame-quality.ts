/**
 * Picture quality of each frame the subscriber page reads (docs/outputs.md): the decoded luma against the
 * regenerated original of the frame the marker names (i420-painter.ts, through the AI's filter where the room's
 * AI changes pixels: luma-filter.ts), below the marker strip, with picture-quality.ts. The luma comes straight
 * from the VideoFrame (`copyTo`, its Y plane) when the frame is planar YUV at the source's size; otherwise the
 * frame is drawn at the source's size (a receiver that got a downscaled stream is scored as it would be shown at
 * full size) and luma is taken from RGB with BT.601 video-range weights: the inverse of the conversion that drew the
 * decoded (BT.601-tagged) frame, so luma outside 16..235, clipped by that round trip, reads a little off.
 */
import { paintPatternLuma } from '../../media/canvas-pattern.js';
import { filterLuma } from '../../media/luma-filter.js';
import { markerLayout } from '../../media/marker.js';
import { type PictureQuality, pictureQuality } from '../../media/picture-quality.js';
import type { PageQualityOptions } from './types.js';

export class FrameQuality {
  private frameBytes = new Uint8Array(0);
  private readonly original: Uint8Array;
  private readonly reference: Uint8Array;
  private canvas: OffscreenCanvas | undefined;
  private ctx: OffscreenCanvasRenderingContext2D | null = null;
  private readonly luma: Uint8Array;
  /** frames offered so far (those with a marker): every `sampleEvery`th is scored, the first one included */
  private offered = 0;

  constructor(private readonly options: PageQualityOptions) {
    const pixels = options.width * options.height;
    this.original = new Uint8Array(pixels);
    this.reference = options.filter === 'copy' ? this.original : new Uint8Array(pixels);
    this.luma = new Uint8Array(pixels);
  }

  /** Whether the next frame with a marker is to be scored (scenario `quality.sampleEvery`; 1: every one). */
  due(): boolean {
    const due = this.offered % this.options.sampleEvery === 0;
    this.offered += 1;
    return due;
  }

  /** Scores `frame` (frame number `frameSeq` of its publisher) against what was sent. */
  async score(frame: VideoFrame, frameSeq: number): Promise<PictureQuality> {
    const { width, height, filter } = this.options;
    paintPatternLuma(this.original, width, height, frameSeq, this.options.pattern);
    if (filter !== 'copy') filterLuma(this.reference, this.original, 0, width, width, height, filter, frameSeq);
    const fromRow = markerLayout(width).stripHeight;
    const reference = { data: this.reference, offset: 0, stride: width };
    const planar = frame.format === 'I420' || frame.format === 'I420A' || frame.format === 'NV12';
    if (planar && frame.displayWidth === width && frame.displayHeight === height) {
      const size = frame.allocationSize();
      if (this.frameBytes.length < size) this.frameBytes = new Uint8Array(size);
      const layout = await frame.copyTo(this.frameBytes);
      const y = layout[0];
      if (y) return pictureQuality({ data: this.frameBytes, ...y }, reference, width, height, fromRow);
    }
    return pictureQuality({ data: this.drawnLuma(frame), offset: 0, stride: width }, reference, width, height, fromRow);
  }

  private drawnLuma(frame: VideoFrame): Uint8Array {
    const { width, height } = this.options;
    if (!this.canvas) {
      this.canvas = new OffscreenCanvas(width, height);
      this.ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    }
    if (!this.ctx) throw new Error('no 2d context');
    this.ctx.drawImage(frame, 0, 0, width, height);
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const luma = this.luma;
    for (let i = 0, j = 0; j < luma.length; i += 4, j += 1)
      luma[j] =
        16 + ((66 * (rgba[i] as number) + 129 * (rgba[i + 1] as number) + 25 * (rgba[i + 2] as number) + 128) >> 8);
    return luma;
  }
}
