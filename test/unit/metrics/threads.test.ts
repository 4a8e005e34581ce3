/** The busiest-thread reader sees a busy worker thread apart from a quiet event loop (real threads, /proc). */
import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { nowMs } from '../../../src/metrics/clock.js';
import { ThreadCpuReader } from '../../../src/metrics/threads.js';

describe('ThreadCpuReader', () => {
  it("finds the one busy thread: its share of a core is most of the whole process's CPU, never more", async () => {
    const reader = new ThreadCpuReader();
    const cpuBefore = process.cpuUsage();
    const startMs = nowMs();
    // a worker spins for 600 ms; the main thread only waits
    const worker = new Worker(
      'const end = Date.now() + 600; while (Date.now() < end) {} require("node:worker_threads").parentPort.postMessage("done");',
      { eval: true },
    );
    await new Promise((resolve) => worker.once('message', resolve));
    const busiest = reader.sample();
    const cpu = process.cpuUsage(cpuBefore);
    const processPct = ((cpu.user + cpu.system) / 1000 / (nowMs() - startMs)) * 100;
    await worker.terminate();
    expect(busiest).toBeDefined();
    // compared with the process's own CPU over the same time, so a busy machine scales both alike;
    // /proc counts in 10 ms ticks, hence the slack
    expect(busiest as number).toBeGreaterThan(0.6 * processPct);
    expect(busiest as number).toBeLessThanOrEqual(processPct + 5);
    expect(processPct).toBeGreaterThan(10);
  });
});
