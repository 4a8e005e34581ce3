/**
 * Opus RTP payloads to mono PCM (48 kHz, float), with libopus in wasm from @libav.js/variant-vp8-opus (the
 * package the video path uses; nothing downloaded). One decoder per stream: Opus decoding carries state.
 */
import LibAVFactory from '@libav.js/variant-vp8-opus';

type LibAV = Awaited<ReturnType<typeof LibAVFactory.LibAV>>;

export class OpusDecoder {
  private ready: Promise<{ libav: LibAV; ctx: number; packet: number; frame: number }> | undefined;

  private init(): Promise<{ libav: LibAV; ctx: number; packet: number; frame: number }> {
    this.ready ??= (async () => {
      const libav = await LibAVFactory.LibAV({ noworker: true, nothreads: true });
      await libav.av_log_set_level(16);
      // mono: libopus downmixes a stereo stream, and speech recognition wants one channel
      const [, ctx, packet, frame] = await libav.ff_init_decoder('libopus', { codecpar: { codec_type: 1, sample_rate: 48_000, channels: 1, channel_layout: 4 } } as never);
      return { libav, ctx, packet, frame };
    })();
    return this.ready;
  }

  /** PCM of one packet (20 ms is 960 samples), or undefined when it held none. */
  async decode(payload: Buffer): Promise<Float32Array | undefined> {
    const { libav, ctx, packet, frame } = await this.init();
    const frames = await libav.ff_decode_multi(ctx, packet, frame, [{ data: new Uint8Array(payload) }]);
    const parts = frames.map((f) => f.data as unknown).filter((d): d is Float32Array => d instanceof Float32Array);
    if (parts.length === 0) return undefined;
    if (parts.length === 1) return parts[0];
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }

  async close(): Promise<void> {
    if (!this.ready) return;
    const { libav, ctx, packet, frame } = await this.ready;
    await libav.ff_free_decoder(ctx, packet, frame);
    libav.terminate();
  }
}
