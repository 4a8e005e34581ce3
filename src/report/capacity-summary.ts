/** `summary.capacity` (`glassbench capacity`): each load step, and the knee the search found. */
import type { RunStatus, SaturationReason } from './summary.js';

export interface CapacityStep {
  calls: number;
  peers: number;
  status: RunStatus;
  passed: boolean;
  /** p95 of the headline latency metrics, ms */
  p95: Record<string, number | null>;
  sfuCpuPct: number | null;
  runnerCpuPct: number | null;
  failedThresholds: string[];
  /** the step's load generator (or the machine) crossed a saturation line: it measured the harness */
  saturated: boolean;
  /** what crossed which line (SaturationReason texts) */
  saturationReasons?: string[];
  dir: string;
}

export interface CapacitySummary {
  /**
   * the most concurrent calls that met every threshold below the first failure; null when even the first step
   * failed, or when the load generator saturated before any threshold failed (see harnessLimit)
   */
  knee: number | null;
  /** the first step that failed a threshold with its generator unsaturated, if any */
  firstFailure: number | null;
  /** the search stopped where the load generator saturated: the harness's limit, not the system's */
  harnessLimit?: {
    calls: number;
    /** the most calls that passed, unsaturated, below it */
    lastPass: number | null;
    reasons: SaturationReason[];
  };
  search: 'step' | 'bisect';
  steps: CapacityStep[];
  headline: string;
}
