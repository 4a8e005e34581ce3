/**
 * What a connection has heard from its target: the bytes, ICE checks and check answers its selected candidate
 * pair received, sampled every second, with the time of the sample. Node's liveness watch (peers/liveness.ts)
 * reads whether it grew, and from the times whether the page is sampling at all.
 */
import { nowMs } from './clock.js';

interface PairStats {
  bytesReceived?: number;
  requestsReceived?: number;
  responsesReceived?: number;
}

export class HeardCounter {
  /** undefined until the connection has a selected pair */
  value: { count: number; atMs: number } | undefined;
  private readonly timer: number;

  constructor(private readonly pc: RTCPeerConnection) {
    this.timer = window.setInterval(() => void this.sample(), 1000);
    void this.sample();
  }

  private async sample(): Promise<void> {
    const report = await this.pc.getStats().catch(() => undefined);
    let pairId: string | undefined;
    report?.forEach((s: { type: string; selectedCandidatePairId?: string }) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    });
    const pair = pairId === undefined ? undefined : (report?.get(pairId) as PairStats | undefined);
    if (!pair) return;
    const count = (pair.bytesReceived ?? 0) + (pair.requestsReceived ?? 0) + (pair.responsesReceived ?? 0);
    this.value = { count, atMs: nowMs() };
  }

  stop(): void {
    window.clearInterval(this.timer);
  }
}
