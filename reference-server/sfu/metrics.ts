/** Prometheus metrics of the reference SFU (`GET /metrics`), on a registry of its own. */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class SfuMetrics {
  readonly registry = new Registry();
  readonly sessions = new Gauge({
    name: 'glassbench_sfu_sessions',
    help: 'Open WHIP/WHEP sessions',
    labelNames: ['role'],
    registers: [this.registry],
  });
  readonly rooms = new Gauge({
    name: 'glassbench_sfu_rooms',
    help: 'Rooms with at least one session',
    registers: [this.registry],
  });
  /** per-packet counts, folded into the kind-labelled counters below when the registry is read */
  private readonly pending = {
    packetsIn: pendingByKind(),
    bytesIn: pendingByKind(),
    packetsOut: pendingByKind(),
    bytesOut: pendingByKind(),
  };
  readonly packetsIn = kindCounter(this.registry, this.pending.packetsIn, {
    name: 'glassbench_sfu_packets_in_total',
    help: 'RTP packets received from publishers',
  });
  readonly bytesIn = kindCounter(this.registry, this.pending.bytesIn, {
    name: 'glassbench_sfu_bytes_in_total',
    help: 'RTP payload bytes received from publishers',
  });
  readonly packetsOut = kindCounter(this.registry, this.pending.packetsOut, {
    name: 'glassbench_sfu_packets_out_total',
    help: 'RTP packets sent to subscribers',
  });
  readonly bytesOut = kindCounter(this.registry, this.pending.bytesOut, {
    name: 'glassbench_sfu_bytes_out_total',
    help: 'RTP payload bytes sent to subscribers',
  });
  readonly forwardSeconds = new Histogram({
    name: 'glassbench_sfu_forward_seconds',
    help: 'Time to hand one incoming packet to every subscriber (fan-out, excluding addDelayMs)',
    buckets: [0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05],
    registers: [this.registry],
  });
  readonly pliRelayed = new Counter({
    name: 'glassbench_sfu_pli_relayed_total',
    help: 'Keyframe requests relayed to publishers',
    registers: [this.registry],
  });
  readonly aiFrames = new Counter({
    name: 'glassbench_ai_frames_total',
    help: 'Video frames through the AI hook, by outcome (done, dropped by the queue policy, failed)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly aiQueue = new Gauge({
    name: 'glassbench_ai_queue_length',
    help: 'Frames waiting for an AI pool worker, all tracks',
    registers: [this.registry],
  });
  readonly aiBatchSize = new Histogram({
    name: 'glassbench_ai_batch_size',
    help: "Calls in the external AI worker's batch each frame's inference ran in, as the worker reports it",
    buckets: [1, 2, 3, 4, 6, 8, 12, 16, 32, 64],
    registers: [this.registry],
  });
  readonly aiBatchWait = new Histogram({
    name: 'glassbench_ai_batch_wait_seconds',
    help: 'Time a call waited in the external AI worker for its batch to start, as the worker reports it',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
    registers: [this.registry],
  });
  readonly aiDeviceUtilisation = new Gauge({
    name: 'glassbench_ai_device_utilisation_ratio',
    help: 'Busy share of an AI device over the last second (all its slots)',
    labelNames: ['device'],
    registers: [this.registry],
  });
  readonly aiGpuUtilisation = new Gauge({
    name: 'glassbench_ai_gpu_utilisation_ratio',
    help: "A GPU's own utilisation as nvidia-smi reports it (ai.devices: gpus)",
    labelNames: ['device'],
    registers: [this.registry],
  });
  readonly aiDeviceQueue = new Gauge({
    name: 'glassbench_ai_device_queue_length',
    help: 'Calls waiting for a free slot on an AI device',
    labelNames: ['device'],
    registers: [this.registry],
  });
  /** per-packet counts of the pipes between workers (plain additions, as the kind counters') */
  readonly pipePacketsIn = new PendingCount();
  readonly pipePacketsOut = new PendingCount();
  readonly pipePackets = new Counter({
    name: 'glassbench_sfu_pipe_packets_total',
    help: 'RTP packets piped between the workers of a multi-worker SFU (out: to other workers; in: from them)',
    labelNames: ['direction'],
    registers: [this.registry],
    collect: () => {
      for (const [direction, count] of [
        ['in', this.pipePacketsIn],
        ['out', this.pipePacketsOut],
      ] as const) {
        // always both series (0 until a pipe opens), as before: a reader finds them in a one-process SFU too
        this.pipePackets.inc({ direction }, count.value);
        count.value = 0;
      }
    },
  });
  readonly rejected = new Counter({
    name: 'glassbench_sfu_requests_rejected_total',
    help: 'HTTP requests answered 4xx',
    labelNames: ['status'],
    registers: [this.registry],
  });

  /**
   * What the per-packet path counts on: plain additions. prom-client's label children hash and validate the
   * label set on every `inc` (measured: 1.5% of the SFU's fan-out at 100 subscribers); these are folded in
   * when /metrics (or anything else) reads the registry.
   */
  readonly byKind = {
    audio: this.countersFor('audio'),
    video: this.countersFor('video'),
  };

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  private countersFor(kind: Kind): Record<keyof SfuMetrics['pending'], PendingCount> {
    return {
      packetsIn: this.pending.packetsIn[kind],
      bytesIn: this.pending.bytesIn[kind],
      packetsOut: this.pending.packetsOut[kind],
      bytesOut: this.pending.bytesOut[kind],
    };
  }
}

type Kind = 'audio' | 'video';

/** A count the packet path adds to; its Prometheus counter takes it over when read. */
class PendingCount {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

function pendingByKind(): Record<Kind, PendingCount> {
  return { audio: new PendingCount(), video: new PendingCount() };
}

/** A counter labelled by kind whose values come from `pending` at each read of the registry. */
function kindCounter(
  registry: Registry,
  pending: Record<Kind, PendingCount>,
  config: { name: string; help: string },
): Counter<'kind'> {
  return new Counter({
    ...config,
    labelNames: ['kind'],
    registers: [registry],
    collect(this: Counter<'kind'>) {
      for (const kind of ['audio', 'video'] as const) {
        const count = pending[kind];
        if (count.value > 0) this.inc({ kind }, count.value);
        count.value = 0;
      }
    },
  });
}
