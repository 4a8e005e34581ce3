/**
 * The machine's NVIDIA GPUs, found and watched through `nvidia-smi`, which comes with NVIDIA's driver. A machine
 * fact shared by the harness (it checks `ai.devices: gpus` before it starts the SFU) and the reference SFU's
 * device scheduler (docs/architecture.md): `ai.devices: gpus` gives the scheduler one device per GPU, stage calls
 * then go to an external worker with the GPU each should run on, and each GPU's own utilisation and memory (from
 * nvidia-smi, once a second) are reported next to the scheduler's account of it.
 */
import { execFile } from 'node:child_process';

export interface GpuInfo {
  index: number;
  name: string;
  memoryTotalMb: number;
}

export interface GpuSample {
  index: number;
  utilisationPct: number;
  memoryUsedMb: number;
}

const QUERY_TIMEOUT_MS = 5000;

function nvidiaSmi(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('nvidia-smi', args, { timeout: QUERY_TIMEOUT_MS, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error)
        reject(
          new Error(
            (error as NodeJS.ErrnoException).code === 'ENOENT'
              ? 'nvidia-smi is not installed'
              : `nvidia-smi failed: ${(stderr || error.message).trim().split('\n')[0] ?? ''}`,
          ),
        );
      else resolve(stdout);
    });
  });
}

function fields(line: string): string[] {
  return line.split(',').map((f) => f.trim());
}

/** `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits` to GPUs; bad lines are skipped. */
export function parseGpuList(text: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of text.split('\n')) {
    const [index, name, memory] = fields(line);
    if (index === undefined || name === undefined || !/^\d+$/.test(index)) continue;
    gpus.push({ index: Number(index), name, memoryTotalMb: Number(memory) || 0 });
  }
  return gpus;
}

/** `nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader,nounits`; `[N/A]` reads as 0. */
export function parseGpuSamples(text: string): GpuSample[] {
  const samples: GpuSample[] = [];
  for (const line of text.split('\n')) {
    const [index, utilisation, memory] = fields(line);
    if (index === undefined || !/^\d+$/.test(index)) continue;
    samples.push({ index: Number(index), utilisationPct: Number(utilisation) || 0, memoryUsedMb: Number(memory) || 0 });
  }
  return samples;
}

/** The machine's NVIDIA GPUs; rejects, saying why, when there is no nvidia-smi or it cannot answer. */
export async function discoverGpus(): Promise<GpuInfo[]> {
  return parseGpuList(await nvidiaSmi(['--query-gpu=index,name,memory.total', '--format=csv,noheader,nounits']));
}

/** Samples every GPU once a second in the background; `latest` is the last answer (empty until the first). */
export class GpuSampler {
  latest: GpuSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      nvidiaSmi(['--query-gpu=index,utilization.gpu,memory.used', '--format=csv,noheader,nounits'])
        .then((text) => {
          this.latest = parseGpuSamples(text);
        })
        .catch(() => {
          this.latest = [];
        })
        .finally(() => {
          this.busy = false;
        });
    }, 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
