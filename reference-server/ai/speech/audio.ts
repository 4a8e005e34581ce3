/** PCM helpers of the speech chain: WAV (16-bit mono) in and out, and resampling. */

/** A 16-bit mono PCM WAV file of `pcm` at `sampleRate`. */
export function wavBytes(pcm: Int16Array, sampleRate: number): Buffer {
  const data = pcm.length * 2;
  const out = Buffer.alloc(44 + data);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + data, 4);
  out.write('WAVEfmt ', 8, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(data, 40);
  for (let i = 0; i < pcm.length; i += 1) out.writeInt16LE(pcm[i] as number, 44 + i * 2);
  return out;
}

/** The samples and rate of a 16-bit PCM WAV (mono, or the first channel); throws on anything else. */
export function parseWav(bytes: Buffer): { pcm: Int16Array; sampleRate: number } {
  if (bytes.length < 12 || bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error('not a WAV file');
  let offset = 12;
  let channels = 1;
  let sampleRate = 0;
  let bits = 0;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    let size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      channels = bytes.readUInt16LE(body + 2);
      sampleRate = bytes.readUInt32LE(body + 4);
      bits = bytes.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (bits !== 16 || sampleRate === 0) throw new Error(`only 16-bit PCM WAV is read, got ${bits} bits`);
      // espeak-ng --stdout writes 0xffffffff sizes (it cannot seek back): take what is there
      if (size > bytes.length - body) size = bytes.length - body;
      const frames = Math.floor(size / (2 * channels));
      const pcm = new Int16Array(frames);
      for (let i = 0; i < frames; i += 1) pcm[i] = bytes.readInt16LE(body + i * 2 * channels);
      return { pcm, sampleRate };
    }
    offset = body + size + (size % 2);
  }
  throw new Error('WAV without a data chunk');
}

/** Linear-interpolation resampling (speech to an ASR model's rate; not for music). */
export function resampleLinear(pcm: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return pcm;
  const out = new Int16Array(Math.floor((pcm.length * to) / from));
  const step = from / to;
  for (let i = 0; i < out.length; i += 1) {
    const x = i * step;
    const i0 = Math.floor(x);
    const a = pcm[i0] ?? 0;
    const b = pcm[Math.min(pcm.length - 1, i0 + 1)] ?? a;
    out[i] = Math.round(a + (b - a) * (x - i0));
  }
  return out;
}
