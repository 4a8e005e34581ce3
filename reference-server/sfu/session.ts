/**
 * What every WHIP/WHEP session of the reference SFU shares: its peer connection, the answer to the remote
 * offer, the connect and idle timeouts, and an idempotent close that tells its owner and closes its children.
 */
import { randomUUID } from 'node:crypto';

import { RTCPeerConnection, type RTCRtpTransceiver } from 'werift';

import { attachDatagramClock } from '../../src/media/datagram-clock.js';
import { keepLoopbackCandidates, loopbackPeerConfig } from '../../src/media/werift-config.js';
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
  /** CPU burnt on the event loop per incoming video frame, ms (calibration) */
  burnCpuMsPerFrame: number;
  /** strip identity extensions from forwarded video and shift its seq/timestamps per subscriber (calibration) */
  rewriteRtp: boolean;
  connectTimeoutMs: number;
  /** the AI hook, when the SFU runs one */
  ai?: AiRuntime;
  /** the local address the session's request came in on: its media binds there too (default loopback) */
  address?: string;
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

  constructor(
    protected readonly ctx: SessionContext,
    private readonly onClosed: (session: Session) => void,
  ) {
    this.pc = new RTCPeerConnection(loopbackPeerConfig(ctx.address ?? '127.0.0.1'));
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
    await this.pc.setRemoteDescription({ type: 'offer', sdp: keepLoopbackCandidates(offerSdp) });
    prepare(this.pc.getTransceivers());
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    // the sockets exist once the candidates are gathered: from here on `in` is stamped at the datagram's read
    attachDatagramClock(this.pc);
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('no local description after negotiation');
    return sdp;
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
