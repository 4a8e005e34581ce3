/**
 * Opus in Node with libopus in wasm from @libav.js/variant-vp8-opus (the package the video path uses; nothing
 * downloaded): RTP payloads to mono PCM (48 kHz, float) and back. One codec per stream: Opus carries state.
 * The SFU's translation chain decodes what publishers say and encodes the translated speech; synthetic
 * subscribers decode what they receive to hear when speech starts.
 */
import LibAVFactory from '@libav.js/variant-vp8-opus';

type LibAV = Awaited<ReturnType<typeof LibAVFactory.LibAV>>;

export const OPUS_RATE = 48_000;
/** samples in one 20 ms Opus frame at 48 kHz, the packet size WebRTC uses */
export const OPUS_FRAME_SAMPLES = 960;
const MONO = 4; // AV_CH_LAYOUT_MONO

function concat(parts: Float32Array[]): Float32Array | undefined {
  if (parts.length <= 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export class OpusDecoder {
  private ready: Promise<{ libav: LibAV; ctx: number; packet: number; frame: number }> | undefined;

  private init(): Promise<{ libav: LibAV; ctx: number; packet: number; frame: number }> {
    this.ready ??= (async () => {
      const libav = await LibAVFactory.LibAV({ noworker: true, nothreads: true });
      await libav.av_log_set_level(16);
      // mono: libopus downmixes a stereo stream, and speech recognition wants one channel
      const [, ctx, packet, frame] = await libav.ff_init_decoder('libopus', {
        codecpar: { codec_type: 1, sample_rate: OPUS_RATE, channels: 1, channel_layout: MONO },
      } as never);
      return { libav, ctx, packet, frame };
    })();
    return this.ready;
  }

  /** PCM of one packet (20 ms is 960 samples), or undefined when it held none. */
  async decode(payload: Uint8Array): Promise<Float32Array | undefined> {
    const { libav, ctx, packet, frame } = await this.init();
    const frames = await libav.ff_decode_multi(ctx, packet, frame, [{ data: new Uint8Array(payload) }]);
    return concat(frames.map((f) => f.data as unknown).filter((d): d is Float32Array => d instanceof Float32Array));
  }

  async close(): Promise<void> {
    if (!this.ready) return;
    const { libav, ctx, packet, frame } = await this.ready;
    await libav.ff_free_decoder(ctx, packet, frame);
    libav.terminate();
  }
}

/** Mono 48 kHz float PCM to Opus packets, one per 20 ms frame (libopus, VoIP-like settings). */
export class OpusEncoder {
  private ready: Promise<{ libav: LibAV; ctx: number; frame: number; packet: number }> | undefined;
  private pts = 0;

  constructor(private readonly bitrate = 32_000) {}

  private init(): Promise<{ libav: LibAV; ctx: number; frame: number; packet: number }> {
    this.ready ??= (async () => {
      const libav = await LibAVFactory.LibAV({ noworker: true, nothreads: true });
      await libav.av_log_set_level(16);
      const [, ctx, frame, packet] = await libav.ff_init_encoder('libopus', {
        ctx: {
          bit_rate: this.bitrate,
          sample_fmt: libav.AV_SAMPLE_FMT_FLT,
          sample_rate: OPUS_RATE,
          channel_layout: MONO,
          channels: 1,
        },
        time_base: [1, OPUS_RATE],
      });
      return { libav, ctx, frame, packet };
    })();
    return this.ready;
  }

  /** The packet(s) of one 20 ms frame (exactly 960 samples); libopus gives one packet per frame. */
  async encode(pcm: Float32Array): Promise<Uint8Array[]> {
    if (pcm.length !== OPUS_FRAME_SAMPLES)
      throw new Error(`an Opus frame is ${OPUS_FRAME_SAMPLES} samples, got ${pcm.length}`);
    const { libav, ctx, frame, packet } = await this.init();
    const packets = await libav.ff_encode_multi(ctx, frame, packet, [
      {
        data: pcm,
        channel_layout: MONO,
        format: libav.AV_SAMPLE_FMT_FLT,
        pts: this.pts,
        sample_rate: OPUS_RATE,
        nb_samples: OPUS_FRAME_SAMPLES,
      },
    ]);
    this.pts += OPUS_FRAME_SAMPLES;
    return packets.map((p) => p.data);
  }

  async close(): Promise<void> {
    if (!this.ready) return;
    const { libav, ctx, frame, packet } = await this.ready;
    await libav.ff_free_encoder(ctx, frame, packet);
    libav.terminate();
  }
}
