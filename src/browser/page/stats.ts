/** Samples the inbound video stats of a connection every second into the webrtc metrics of docs/metrics.md. */
import type { PageStatsSample } from '../../protocol/runner-ipc.js';
import { nowMs } from './clock.js';

interface Inbound {
  jitter?: number;
  packetsLost?: number;
  packetsReceived?: number;
  bytesReceived?: number;
  jitterBufferDelay?: number;
  jitterBufferEmittedCount?: number;
  totalDecodeTime?: number;
  framesDecoded?: number;
  framesPerSecond?: number;
  nackCount?: number;
  pliCount?: number;
}

export class StatsSampler {
  private previous: (Inbound & { ms: number }) | undefined;
  private readonly timer: number;

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly out: PageStatsSample[],
  ) {
    this.timer = window.setInterval(() => void this.sample(), 1000);
  }

  private async sample(): Promise<void> {
    const report = await this.pc.getStats();
    let inbound: Inbound | undefined;
    let audioPackets: number | undefined;
    report.forEach((s: { type: string; kind?: string } & Inbound) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') inbound = s;
      if (s.type === 'inbound-rtp' && s.kind === 'audio') audioPackets = s.packetsReceived;
    });
    if (!inbound) return;
    const ms = nowMs();
    const prev = this.previous;
    const sample: PageStatsSample = { ms };
    const d = (key: keyof Inbound): number => (inbound?.[key] ?? 0) - (prev?.[key] ?? 0);
    if (inbound.jitter !== undefined) sample.jitterMs = inbound.jitter * 1000;
    if (prev) {
      const lost = d('packetsLost');
      const total = lost + d('packetsReceived');
      sample.packetLossPct = total > 0 ? (Math.max(0, lost) / total) * 100 : 0;
      sample.bitrateKbps = (d('bytesReceived') * 8) / (ms - prev.ms);
      const emitted = d('jitterBufferEmittedCount');
      if (emitted > 0) sample.jitterBufferDelayMs = (d('jitterBufferDelay') / emitted) * 1000;
      const decoded = d('framesDecoded');
      if (decoded > 0) sample.decodeMs = (d('totalDecodeTime') / decoded) * 1000;
    }
    if (inbound.framesPerSecond !== undefined) sample.fps = inbound.framesPerSecond;
    sample.nackCount = inbound.nackCount ?? 0;
    sample.pliCount = inbound.pliCount ?? 0;
    if (audioPackets !== undefined) sample.audioPacketsReceived = audioPackets;
    this.previous = { ...inbound, ms };
    this.out.push(sample);
  }

  stop(): void {
    window.clearInterval(this.timer);
  }
}
