/**
 * What every WHIP/WHEP session of the reference SFU shares: its peer connection, the answer to the remote
 * offer, the connect and idle timeouts, and an idempotent close that tells its owner and closes its children.
 */
import { randomUUID } from 'node:crypto';

import { RTCPeerConnection, type RTCRtpTransceiver } from 'werift';

import { attachDatagramClock } from '../../src/media/datagram-clock.js';
import { keepLoopbackCandidates, sfuFiltersCandidates, sfuPeerConfig } from '../../src/media/werift-config.js';
import { nowMs } from '../../src/metrics/clock.js';
import type { Trend } from '../../src/metrics/histogram.js';
import type { AiRuntime } from '../ai/runtime.js';
import type { SfuMetrics } from './metrics.js';
import type { TelemetryStream } from './telemetry.js';

export type Kind = 'audio' | 'video';

/** What a session needs from the server that owns it. */
export interface SessionContext {
  metrics: SfuMetrics;
  telemetry: TelemetryStream;
  /** per-packet fan-out time, ms */
  forwardTrend: Trend;
  addDelayMs: number;
  /** audio packets are held this much longer than video, ms (calibration of A/V sync) */
  addAudioDelayMs: number;
  /** CPU burnt on the event loop per incoming video frame, ms (calibration) */
  burnCpuMsPerFrame: number;
  /** strip identity extensions from forwarded video and shift its seq/timestamps per subscriber (calibration) */
  rewriteRtp: boolean;
  connectTimeoutMs: number;
  /** the AI hook, when the SFU runs one */
  ai?: AiRuntime;
  /** the local address the session's request came in on: its media binds there too (default loopback) */
  address?: string;
  /** the address its candidates announce instead of `address` (SfuOptions.announceAddress) */
  announceAddress?: string;
  /** UDP ports its media binds from (SfuOptions.udpPortRange) */
  udpPortRange?: [number, number];
  /** a connected publisher that sends no media for this long is closed, ms; default 30000 */
  idleTimeoutMs?: number;
}

export abstract class Session {
  readonly id = randomUUID();
  readonly pc: RTCPeerConnection;
  readonly createdMs = nowMs();
  private closed = false;
  private readonly connectTimer: NodeJS.Timeout;
  /** negotiating or connecting: counted against the server's limit on pending sessions */
  pending = true;
  /** last media from the peer (publishers), for the idle timeout */
  protected lastMediaMs = nowMs();
  private idleTimer: NodeJS.Timeout | undefined;
  /** on loopback (or a run's link) only: the peer's other candidates are dropped (werift-config.ts) */
  private readonly filterCandidates: boolean;

  constructor(
    protected readonly ctx: SessionContext,
    private readonly onClosed: (session: Session) => void,
  ) {
    const bindAddress = ctx.address ?? '127.0.0.1';
    this.pc = new RTCPeerConnection(
      sfuPeerConfig({
        bindAddress,
        ...(ctx.announceAddress ? { announceAddress: ctx.announceAddress } : {}),
        ...(ctx.udpPortRange ? { portRange: ctx.udpPortRange } : {}),
      }),
    );
    this.filterCandidates = sfuFiltersCandidates(bindAddress, ctx.announceAddress);
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        clearTimeout(this.connectTimer);
        this.pending = false;
        this.lastMediaMs = nowMs();
      }
      if (state === 'failed' || state === 'closed') void this.close();
    });
    this.connectTimer = setTimeout(() => void this.close(), ctx.connectTimeoutMs);
    this.connectTimer.unref();
  }

  /** Applies the remote offer and returns the complete answer (WHIP/WHEP do not trickle). */
  async negotiate(offerSdp: string, prepare: (transceivers: RTCRtpTransceiver[]) => void): Promise<string> {
    const sdp = this.filterCandidates ? keepLoopbackCandidates(offerSdp) : offerSdp;
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    prepare(this.pc.getTransceivers());
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    // the sockets exist once the candidates are gathered: from here on `in` is stamped at the datagram's read
    attachDatagramClock(this.pc);
    const answer = this.pc.localDescription?.sdp;
    if (!answer) throw new Error('no local description after negotiation');
    return answer;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Idempotent: closes the connection and tells the owner. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pending = false;
    clearTimeout(this.connectTimer);
    clearInterval(this.idleTimer);
    this.onClosed(this);
    this.closeChildren();
    await this.pc.close().catch(() => undefined);
  }

  protected closeChildren(): void {}

  /** Closes the session once no media has come for the idle timeout (publishers: nothing to forward). */
  protected watchIdle(): void {
    const idleMs = this.ctx.idleTimeoutMs ?? 30_000;
    this.idleTimer = setInterval(
      () => {
        if (!this.pending && nowMs() - this.lastMediaMs > idleMs) void this.close();
      },
      Math.min(1000, idleMs / 4),
    );
    this.idleTimer.unref();
  }
}
