/**
 * Spreads stage calls over devices by least outstanding work: each call goes to the device whose queued and
 * running work (expected ms, divided by its concurrency) is smallest, so a fast device takes more calls and a
 * slow one is not buried. Devices are simulated (a service-time model and a number of slots) or real GPUs
 * (the call goes to an external worker that runs it there, gpus.ts); each one's utilisation and queue length
 * are sampled every second for `/metrics` and the run's results.
 */
import { nowMs } from '../../src/metrics/clock.js';
import type { DeviceSample, DeviceSpec } from '../../src/protocol/ai.js';

/** Waits `ms` with sub-millisecond accuracy: a timer for the bulk, then a short poll for the rest. */
export function preciseSleep(ms: number): Promise<void> {
  const dueMs = nowMs() + ms;
  return new Promise((resolve) => {
    const poll = (): void => {
      if (nowMs() >= dueMs) resolve();
      else setImmediate(poll);
    };
    if (ms > 2) setTimeout(poll, ms - 1.5);
    else poll();
  });
}

interface Call {
  expectedMs: number;
  start: () => void;
}

class Device {
  running = 0;
  outstandingMs = 0;
  readonly waiting: Call[] = [];
  busyMs = 0;
  calls = 0;

  constructor(readonly spec: DeviceSpec) {}

  /** outstanding work per slot: what the scheduler compares */
  get load(): number {
    return this.outstandingMs / this.spec.concurrency;
  }
}

export interface DeviceRun {
  device: string;
  /** waited for a free slot on the device */
  waitMs: number;
  /** ran on it */
  serviceMs: number;
}

export class DeviceScheduler {
  private readonly devices: Device[];
  private sampledAtMs = nowMs();

  constructor(specs: DeviceSpec[]) {
    if (specs.length === 0) throw new Error('the scheduler needs at least one device');
    this.devices = specs.map((s) => new Device(s));
  }

  /** Runs one call of `modelMs` (the model's time on a speed-1 device) on the least loaded simulated device. */
  async run(modelMs: number): Promise<DeviceRun> {
    const { result: serviceMs, ...run } = await this.dispatch(modelMs, async (_device, expectedMs) => {
      const startMs = nowMs();
      await preciseSleep(expectedMs);
      return nowMs() - startMs;
    });
    return { ...run, serviceMs };
  }

  /**
   * Runs `work` on the least loaded device once it has a free slot (real devices: `work` sends the call to
   * where it runs); `modelMs` is the call's expected time on a speed-1 device, what the scheduler counts as
   * outstanding until the call ends. A call that fails frees its slot like one that succeeds.
   */
  dispatch<T>(
    modelMs: number,
    work: (device: DeviceSpec, expectedMs: number) => Promise<T>,
  ): Promise<DeviceRun & { result: T }> {
    let device = this.devices[0] as Device;
    const after = (d: Device): number => d.load + modelMs / d.spec.speed / d.spec.concurrency;
    // equal work (a model with no expected time, as a real filter on GPUs): the device with fewer calls on it
    const calls = (d: Device): number => (d.running + d.waiting.length) / d.spec.concurrency;
    for (const d of this.devices)
      if (after(d) < after(device) || (after(d) === after(device) && calls(d) < calls(device))) device = d;
    const expectedMs = modelMs / device.spec.speed;
    device.outstandingMs += expectedMs;
    const queuedMs = nowMs();
    return new Promise((resolve, reject) => {
      const start = (): void => {
        device.running += 1;
        const startMs = nowMs();
        const finish = (): void => {
          const endMs = nowMs();
          device.running -= 1;
          device.outstandingMs -= expectedMs;
          device.busyMs += endMs - startMs;
          device.calls += 1;
          device.waiting.shift()?.start();
        };
        work(device.spec, expectedMs).then(
          (result) => {
            finish();
            resolve({ device: device.spec.name, waitMs: startMs - queuedMs, serviceMs: nowMs() - startMs, result });
          },
          (error: unknown) => {
            finish();
            reject(error as Error);
          },
        );
      };
      if (device.running < device.spec.concurrency) start();
      else device.waiting.push({ expectedMs, start });
    });
  }

  /** Utilisation, queue and calls of every device since the previous sample. */
  sample(): DeviceSample[] {
    const now = nowMs();
    const spanMs = Math.max(1, now - this.sampledAtMs);
    this.sampledAtMs = now;
    return this.devices.map((d) => {
      const sample: DeviceSample = {
        name: d.spec.name,
        utilisationPct: Math.min(100, (d.busyMs / (spanMs * d.spec.concurrency)) * 100),
        queueLength: d.waiting.length,
        calls: d.calls,
      };
      d.busyMs = 0;
      d.calls = 0;
      return sample;
    });
  }
}
