import { describe, expect, it } from 'vitest';

import { DeviceScheduler } from '../../../reference-server/ai/scheduler.js';
import { syntheticSampler } from '../../../src/protocol/synthetic-sampler.js';

describe('DeviceScheduler', () => {
  it('sends each call to the device with the least outstanding work, so faster devices take more', async () => {
    const scheduler = new DeviceScheduler([
      { name: 'slow', speed: 1, concurrency: 1 },
      { name: 'mid', speed: 2, concurrency: 1 },
      { name: 'fast', speed: 4, concurrency: 1 },
    ]);
    const runs = await Promise.all(Array.from({ length: 35 }, () => scheduler.run(8)));
    const calls = (name: string): number => runs.filter((r) => r.device === name).length;
    // 35 calls of 8 ms (model time): 8, 4 and 2 ms on the three devices; balancing outstanding work gives
    // them 5, 10 and 20 calls (40 ms of work each)
    expect([calls('slow'), calls('mid'), calls('fast')]).toEqual([5, 10, 20]);
    const samples = scheduler.sample();
    expect(samples.map((s) => s.name)).toEqual(['slow', 'mid', 'fast']);
    expect(samples.map((s) => s.calls)).toEqual([5, 10, 20]);
    for (const s of samples) {
      expect(s.utilisationPct).toBeGreaterThan(50);
      expect(s.utilisationPct).toBeLessThanOrEqual(100);
      expect(s.queueLength).toBe(0);
    }
  });

  it('spreads calls with no expected time (a real filter on GPUs) by the calls on each device', async () => {
    const scheduler = new DeviceScheduler([
      { name: 'gpu0', speed: 1, concurrency: 2, gpu: 0 },
      { name: 'gpu1', speed: 1, concurrency: 2, gpu: 1 },
    ]);
    const slow = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
    const runs = await Promise.all(Array.from({ length: 6 }, () => scheduler.dispatch(0, slow)));
    expect(runs.filter((r) => r.device === 'gpu0').length).toBe(3);
    expect(runs.filter((r) => r.device === 'gpu1').length).toBe(3);
  });

  it('runs up to `concurrency` calls at once on a device and queues the rest', async () => {
    const scheduler = new DeviceScheduler([{ name: 'gpu', speed: 1, concurrency: 2 }]);
    const runs = await Promise.all([scheduler.run(20), scheduler.run(20), scheduler.run(20)]);
    // bounds that hold however busy the machine is (timers fire late, never early): the first two start at once,
    // the third waits for a slot, i.e. at least one whole service time
    const [a, b, c] = runs.map((r) => r as { waitMs: number; serviceMs: number });
    for (const r of runs) expect(r.serviceMs).toBeGreaterThanOrEqual(19);
    expect(c?.waitMs).toBeGreaterThanOrEqual(19);
    expect(a?.waitMs).toBeLessThan(c?.waitMs ?? 0);
    expect(b?.waitMs).toBeLessThan(c?.waitMs ?? 0);
  });
});

describe('synthetic models', () => {
  it('dispatches real work (a GPU call) to the least loaded device, frees the slot when it fails, and names the device', async () => {
    const scheduler = new DeviceScheduler([
      { name: 'gpu0', speed: 1, concurrency: 1, gpu: 0 },
      { name: 'gpu1', speed: 1, concurrency: 1, gpu: 1 },
    ]);
    const seen: number[] = [];
    const work =
      (fail: boolean) =>
      async (device: { gpu?: number }): Promise<string> => {
        seen.push(device.gpu ?? -1);
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (fail) throw new Error('worker went away');
        return `ran on ${device.gpu ?? -1}`;
      };
    const first = scheduler.dispatch(10, work(false));
    const second = scheduler.dispatch(10, work(true));
    const third = scheduler.dispatch(10, work(false));
    await expect(second).rejects.toThrow('worker went away');
    const [a, c] = await Promise.all([first, third]);
    // two idle GPUs take the first two calls; the third waits for whichever frees first (the failed one too)
    expect(seen.slice(0, 2)).toEqual([0, 1]);
    expect(a.device).toBe('gpu0');
    expect(a.result).toBe('ran on 0');
    expect(c.result).toMatch(/^ran on [01]$/);
    expect(c.waitMs).toBeGreaterThan(0);
    expect(scheduler.sample().reduce((n, d) => n + d.calls, 0)).toBe(3);
  });

  it("reads nvidia-smi's CSV: GPUs, and their utilisation and memory ([N/A] as 0)", async () => {
    const { parseGpuList, parseGpuSamples } = await import('../../../src/metrics/gpus.js');
    expect(
      parseGpuList('0, NVIDIA H100 80GB HBM3, 81559\n1, NVIDIA H100 80GB HBM3, 81559\n\nNo devices were found\n'),
    ).toEqual([
      { index: 0, name: 'NVIDIA H100 80GB HBM3', memoryTotalMb: 81559 },
      { index: 1, name: 'NVIDIA H100 80GB HBM3', memoryTotalMb: 81559 },
    ]);
    expect(parseGpuSamples('0, 37, 1024\n1, [N/A], 0\n')).toEqual([
      { index: 0, utilisationPct: 37, memoryUsedMb: 1024 },
      { index: 1, utilisationPct: 0, memoryUsedMb: 0 },
    ]);
  });

  it('draws a log-normal through the given median and 99th percentile', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const sample = syntheticSampler({ p50Ms: 12, p99Ms: 28 }, random);
    const values = Array.from({ length: 20_000 }, sample).sort((a, b) => a - b);
    expect(values[10_000]).toBeGreaterThan(11.5);
    expect(values[10_000]).toBeLessThan(12.5);
    expect(values[19_800]).toBeGreaterThan(26);
    expect(values[19_800]).toBeLessThan(30);
    expect(syntheticSampler({ fixedMs: 20 })()).toBe(20);
  });
});
