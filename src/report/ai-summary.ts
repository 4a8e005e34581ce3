/** summary.json's `ai`: how the AI hook was set up, its devices over the measured window, an external worker's batches. */
export interface AiSummary {
  placement: string;
  mode: string;
  stages: string[];
  workers: number;
  queue: { max: number; policy: string };
  backend: string;
  /** external worker: what a call carries (frames' VP8, or decoded pictures) */
  format?: string;
  budgetMs: number;
  /** per device: the scheduler's busy share, calls, longest queue; real GPUs also nvidia-smi's utilisation */
  devices: Record<string, { utilisationPct: number; calls: number; maxQueue: number; gpuUtilisationPct?: number }>;
  /** external worker: frames whose batch it reported, calls per batch (mean, most), the wait to form one */
  batches?: { frames: number; meanSize: number; maxSize: number; waitP50Ms?: number; waitP95Ms?: number };
  events: string[];
}
