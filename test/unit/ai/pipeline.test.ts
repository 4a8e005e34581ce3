import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';

import { DeviceBackend } from '../../../reference-server/ai/backends.js';
import { type BufferedFrame, FrameBuffer } from '../../../reference-server/ai/frame-buffer.js';
import { AiPipeline } from '../../../reference-server/ai/pipeline.js';
import { DeviceScheduler } from '../../../reference-server/ai/scheduler.js';
import type { AiFrameRecord, AiOptions, QueuePolicy } from '../../../src/protocol/ai.js';

function packet(
  seq: number,
  timestamp: number,
  options: { start?: boolean; marker?: boolean; keyframe?: boolean } = {},
): RtpPacket {
  // VP8 descriptor byte: S bit (0x10) on the first packet of a frame; then the payload header (bit 0 = 0: keyframe)
  const payload = Buffer.from([options.start ? 0x10 : 0x00, options.keyframe ? 0x00 : 0x01, 0, 0]);
  return new RtpPacket(
    new RtpHeader({ sequenceNumber: seq, timestamp, marker: options.marker ?? false, payloadType: 96 }),
    payload,
  );
}

function frame(key: string): BufferedFrame {
  return {
    timestamp: 0,
    key,
    packets: [],
    keyframe: false,
    firstPacketMs: 0,
    readyMs: performance.timeOrigin + performance.now(),
  };
}

function options(policy: QueuePolicy, max = 2): AiOptions {
  return {
    placement: 'cloud',
    mode: 'inline',
    stages: [{ name: 'inference', model: { synthetic: { fixedMs: 15 } } }],
    workers: 1,
    queue: { max, policy },
    devices: [{ name: 'sim0', speed: 1, concurrency: 1 }],
    backend: { type: 'in-process' },
    budgetMs: 30,
  };
}

async function runFive(policy: QueuePolicy): Promise<{ records: AiFrameRecord[]; forwarded: string[] }> {
  const records: AiFrameRecord[] = [];
  const forwarded: string[] = [];
  const opts = options(policy);
  const pipeline = new AiPipeline({
    ai: opts,
    backend: new DeviceBackend(new DeviceScheduler(opts.devices)),
    publisher: 'P',
    onOutput: (f) => forwarded.push(f.key),
    onRecord: (r) => records.push(r),
  });
  for (const key of ['f1', 'f2', 'f3', 'f4', 'f5']) pipeline.submit(frame(key));
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { records, forwarded };
}

describe('AiPipeline queue policies (one worker, queue max 2, five frames at once)', () => {
  it('drop-oldest keeps the newest frames', async () => {
    const { records, forwarded } = await runFive('drop-oldest');
    expect(records.filter((r) => r.outcome === 'dropped').map((r) => r.f)).toEqual(['f2', 'f3']);
    expect(forwarded).toEqual(['f1', 'f4', 'f5']);
  });

  it('drop-newest keeps the oldest frames', async () => {
    const { records, forwarded } = await runFive('drop-newest');
    expect(records.filter((r) => r.outcome === 'dropped').map((r) => r.f)).toEqual(['f4', 'f5']);
    expect(forwarded).toEqual(['f1', 'f2', 'f3']);
  });

  it('block drops nothing and lets the wait grow', async () => {
    const { records, forwarded } = await runFive('block');
    expect(forwarded).toEqual(['f1', 'f2', 'f3', 'f4', 'f5']);
    const done = records.filter((r) => r.outcome === 'done');
    expect(done).toHaveLength(5);
    expect(done[4]?.queueMs).toBeGreaterThan(4 * 15 - 2);
    expect(done[0]?.stages?.['inference']).toBeGreaterThanOrEqual(14.5);
  });
});

describe('AiPipeline ordering', () => {
  it('forwards frames in the order they were taken, though workers finish out of order', async () => {
    // a backend whose time depends on the frame (our interface, not a stand-in for a real part): the first
    // frame takes longest, so with three workers the later ones finish first
    const times: Record<string, number> = { f1: 40, f2: 10, f3: 20 };
    const backend = {
      run: async (_stage: unknown, f: BufferedFrame): Promise<{ device: string; ms: number }> => {
        await new Promise((resolve) => setTimeout(resolve, times[f.key]));
        if (f.key === 'f3') throw new Error('worker gone');
        return { device: 'd', ms: times[f.key] as number };
      },
    };
    const forwarded: string[] = [];
    const opts = { ...options('block', 8), workers: 3 };
    const pipeline = new AiPipeline({
      ai: opts,
      backend,
      publisher: 'P',
      onOutput: (f) => forwarded.push(f.key),
      onRecord: () => undefined,
    });
    for (const key of ['f1', 'f2', 'f3', 'f4']) pipeline.submit(frame(key));
    times['f4'] = 5;
    await new Promise((resolve) => setTimeout(resolve, 120));
    // f3 failed: it leaves no frame, and does not hold up f4
    expect(forwarded).toEqual(['f1', 'f2', 'f4']);
  });
});

describe('FrameBuffer', () => {
  it('completes frames from out-of-order packets, ignores retransmissions and gives up incomplete ones', () => {
    const frames: BufferedFrame[] = [];
    const incomplete: string[] = [];
    const buffer = new FrameBuffer(
      (f) => frames.push(f),
      (k) => incomplete.push(k),
      100,
    );
    buffer.push(packet(11, 3000, { marker: true }), 'b', 0);
    buffer.push(packet(9, 3000, { start: true }), 'b', 1);
    expect(frames).toHaveLength(0);
    buffer.push(packet(10, 3000), 'b', 2);
    expect(frames.map((f) => [f.key, f.packets.map((p) => p.header.sequenceNumber), f.readyMs])).toEqual([
      ['b', [9, 10, 11], 2],
    ]);
    buffer.push(packet(10, 3000), 'b', 3); // a retransmission of a frame already handed on
    buffer.push(packet(65535, 6000, { start: true, keyframe: true }), 'c', 4); // across the 16-bit wrap
    buffer.push(packet(0, 6000, { marker: true }), 'c', 5);
    expect(frames.map((f) => f.key)).toEqual(['b', 'c']);
    expect(frames[1]?.keyframe).toBe(true);
    buffer.push(packet(20, 9000, { start: true }), 'd', 10); // its marker packet never comes
    buffer.push(packet(30, 12000, { start: true }), 'e', 200);
    expect(incomplete).toEqual(['d']);
  });
});
