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
  readonly packetsIn = new Counter({
    name: 'glassbench_sfu_packets_in_total',
    help: 'RTP packets received from publishers',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly bytesIn = new Counter({
    name: 'glassbench_sfu_bytes_in_total',
    help: 'RTP payload bytes received from publishers',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly packetsOut = new Counter({
    name: 'glassbench_sfu_packets_out_total',
    help: 'RTP packets sent to subscribers',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly bytesOut = new Counter({
    name: 'glassbench_sfu_bytes_out_total',
    help: 'RTP payload bytes sent to subscribers',
    labelNames: ['kind'],
    registers: [this.registry],
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
  readonly pipePackets = new Counter({
    name: 'glassbench_sfu_pipe_packets_total',
    help: 'RTP packets piped between the workers of a multi-worker SFU (out: to other workers; in: from them)',
    labelNames: ['direction'],
    registers: [this.registry],
  });
  readonly pipePacketsIn = this.pipePackets.labels({ direction: 'in' });
  readonly pipePacketsOut = this.pipePackets.labels({ direction: 'out' });
  readonly rejected = new Counter({
    name: 'glassbench_sfu_requests_rejected_total',
    help: 'HTTP requests answered 4xx',
    labelNames: ['status'],
    registers: [this.registry],
  });

  /** label children resolved once: the per-packet path must not hash label sets */
  readonly byKind = {
    audio: this.countersFor('audio'),
    video: this.countersFor('video'),
  };

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  private countersFor(kind: 'audio' | 'video') {
    return {
      packetsIn: this.packetsIn.labels({ kind }),
      bytesIn: this.bytesIn.labels({ kind }),
      packetsOut: this.packetsOut.labels({ kind }),
      bytesOut: this.bytesOut.labels({ kind }),
    };
  }
}
