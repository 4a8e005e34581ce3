/**
 * Reads the marker of a decoded frame: each frame a subscriber page reads, and each frame a publisher page decodes
 * back from its own encoder (sent-frames.ts). A planar YUV frame (software decoding, the
 * usual case in headless Chromium) gives only the marker strip's rows (`VideoFrame.copyTo` with a `rect`), and
 * the marker is read from their luma as a synthetic receiver reads it: no conversion to RGB, no canvas, about
 * 20 KB copied at 640x360. Any other frame (a GPU texture, RGB) is drawn to a canvas the strip's size and read
 * back.
 */
import { type DecodedMarker, markerLayout, readMarker, readMarkerLuma } from '../../media/marker.js';

const PLANAR = new Set<VideoPixelFormat>(['I420', 'I420A', 'I422', 'I444', 'NV12']);

export class MarkerReader {
  private bytes = new Uint8Array(0);
  private canvas: OffscreenCanvas | undefined;
  private ctx: OffscreenCanvasRenderingContext2D | null = null;

  async read(frame: VideoFrame): Promise<DecodedMarker | undefined> {
    const width = frame.displayWidth;
    const { stripHeight } = markerLayout(width);
    const visible = frame.visibleRect;
    if (
      frame.format !== null &&
      PLANAR.has(frame.format) &&
      visible &&
      visible.width === width &&
      visible.height === frame.displayHeight &&
      visible.height >= stripHeight &&
      visible.x % 2 === 0 &&
      visible.y % 2 === 0
    ) {
      // chroma is subsampled by 2: the rect's size must be even too (the strip's height is: 2 rows of blocks)
      const rect = { x: visible.x, y: visible.y, width: width - (width % 2), height: stripHeight };
      const size = frame.allocationSize({ rect });
      if (this.bytes.length < size) this.bytes = new Uint8Array(size);
      const [luma] = await frame.copyTo(this.bytes, { rect });
      if (luma) {
        return readMarkerLuma(this.bytes.subarray(luma.offset), luma.stride, width);
      }
    }
    return this.drawn(frame, width, stripHeight);
  }

  private drawn(frame: VideoFrame, width: number, stripHeight: number): DecodedMarker | undefined {
    if (!this.canvas || this.canvas.width !== width) {
      this.canvas = new OffscreenCanvas(width, stripHeight);
      this.ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    }
    if (!this.ctx) throw new Error('no 2d context');
    this.ctx.drawImage(frame, 0, 0, width, stripHeight, 0, 0, width, stripHeight);
    return readMarker(this.ctx.getImageData(0, 0, width, stripHeight).data, width);
  }
}
