/**
 * Pipes between the workers of a multi-worker SFU: when a room's subscribers sit on several workers, the worker
 * that receives the publisher's packets sends each of them (after its delay line, as its own subscribers get them)
 * over UDP on loopback to the other workers, which fan them out to their subscribers; keyframe requests go the
 * other way. One socket per worker carries every pipe, each named by the number the front gave it.
 *
 * A datagram: byte 0 the type (1 audio RTP, 2 video RTP, 3 a DataChannel message, 4 a keyframe request), bytes
 * 1-4 the pipe number (big-endian); RTP then has a byte with the length of the frame key, the key (ASCII), and the
 * RTP packet as it left the publisher's session (plain, never encrypted: it stays on this host); a DataChannel
 * message has its UTF-8 text. Datagrams from anywhere but the expected worker's socket, of an unknown type or
 * pipe, or that do not parse, are counted and dropped.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

import { RtpPacket } from 'werift';

import type { ExtensionIds } from '../../src/media/rtp-identity.js';
import { nowMs } from '../../src/metrics/clock.js';
import { HttpError } from '../http-error.js';
import type { Kind, SessionContext } from '../sfu/session.js';
import { fanOutTo, type PipeOut, type Source, type SubscriberSession } from '../sfu/sessions.js';
import type { PublisherDescription } from './ipc.js';

const AUDIO = 1;
const VIDEO = 2;
const TEXT = 3;
const KEYFRAME = 4;
const HEADER_BYTES = 5;
const PIPE_ADDRESS = '127.0.0.1';

/** The part of an RTP datagram after the pipe header: the same for every pipe of a publisher. */
function rtpBody(rtp: RtpPacket, key: string | undefined): Buffer[] {
  const keyBytes = key === undefined ? 0 : Buffer.byteLength(key, 'latin1');
  if (keyBytes > 255) throw new Error(`frame key of ${keyBytes} bytes: at most 255`);
  const keyPart = Buffer.allocUnsafe(1 + keyBytes);
  keyPart[0] = keyBytes;
  if (key !== undefined) keyPart.write(key, 1, 'latin1');
  return [keyPart, rtp.serialize()];
}

function pipeHeader(type: number, pipeId: number): Buffer {
  const head = Buffer.allocUnsafe(HEADER_BYTES);
  head[0] = type;
  head.writeUInt32BE(pipeId >>> 0, 1);
  return head;
}

const rtpType = (kind: Kind): number => (kind === 'audio' ? AUDIO : VIDEO);

export function encodeRtp(pipeId: number, kind: Kind, rtp: RtpPacket, key: string | undefined): Buffer {
  return Buffer.concat([pipeHeader(rtpType(kind), pipeId), ...rtpBody(rtp, key)]);
}

function encodeSmall(type: number, pipeId: number, text = ''): Buffer {
  return Buffer.concat([pipeHeader(type, pipeId), Buffer.from(text, 'utf8')]);
}

export type PipeMessage =
  | { type: 'rtp'; pipeId: number; kind: Kind; key: string | undefined; rtp: RtpPacket }
  | { type: 'text'; pipeId: number; text: string }
  | { type: 'keyframe'; pipeId: number };

/** Parses one datagram; throws on anything malformed. */
export function decodePipeMessage(data: Buffer): PipeMessage {
  if (data.length < HEADER_BYTES) throw new Error(`${data.length} bytes: shorter than the ${HEADER_BYTES}-byte header`);
  const type = data[0];
  const pipeId = data.readUInt32BE(1);
  if (type === KEYFRAME) return { type: 'keyframe', pipeId };
  if (type === TEXT) return { type: 'text', pipeId, text: data.subarray(HEADER_BYTES).toString('utf8') };
  if (type !== AUDIO && type !== VIDEO) throw new Error(`unknown type ${type}`);
  const keyBytes = data[HEADER_BYTES] ?? 0;
  const rtpStart = HEADER_BYTES + 1 + keyBytes;
  if (data.length < rtpStart + 12) throw new Error('truncated: no RTP header after the frame key');
  const key = keyBytes === 0 ? undefined : data.toString('latin1', HEADER_BYTES + 1, rtpStart);
  const rtp = RtpPacket.deSerialize(data.subarray(rtpStart));
  return { type: 'rtp', pipeId, kind: type === AUDIO ? 'audio' : 'video', key, rtp };
}

/** A publisher on another worker, as the subscribers of this one see it. */
export class PipedSource implements Source {
  readonly subscribers = new Set<SubscriberSession>();
  readonly kinds: Kind[];
  isClosed = false;
  private lastKeyframeRequestMs = 0;

  constructor(
    readonly id: string,
    private readonly description: PublisherDescription,
    private readonly ctx: SessionContext,
    private readonly askKeyframe: () => void,
  ) {
    this.kinds = description.kinds;
  }

  identityExtensions(kind: Kind): ExtensionIds {
    return this.description.extensions[kind] ?? {};
  }

  /** Relayed to the publisher's worker, at most one per 200 ms from here (the publisher limits them again). */
  requestKeyframe(): void {
    const now = nowMs();
    if (now - this.lastKeyframeRequestMs < 200) return;
    this.lastKeyframeRequestMs = now;
    this.askKeyframe();
  }

  deliver(kind: Kind, rtp: RtpPacket, key: string | undefined): void {
    fanOutTo(this.ctx, this.subscribers, kind, rtp, this.identityExtensions(kind), key);
  }

  deliverText(text: string): void {
    for (const subscriber of this.subscribers) subscriber.sendChannelMessage(text);
  }

  close(): void {
    this.isClosed = true;
    for (const subscriber of [...this.subscribers]) void subscriber.close();
    this.subscribers.clear();
  }
}

/** A publisher's packets on their way to one other worker. */
class OutgoingPipe implements PipeOut {
  constructor(
    private readonly endpoint: PipeEndpoint,
    readonly pipeId: number,
    readonly port: number,
    readonly onKeyframe: () => void,
  ) {}

  send(kind: Kind, rtp: RtpPacket, key: string | undefined): void {
    this.endpoint.sendTo(this.port, [pipeHeader(rtpType(kind), this.pipeId), ...this.endpoint.bodyOf(rtp, key)]);
    this.endpoint.ctx.metrics.pipePacketsOut.inc();
  }

  sendText(message: string): void {
    this.endpoint.sendTo(this.port, encodeSmall(TEXT, this.pipeId, message));
  }
}

/** A worker's pipe socket: every pipe into and out of it. */
export class PipeEndpoint {
  private readonly socket: Socket = createSocket('udp4');
  private readonly incoming = new Map<number, { source: PipedSource; port: number }>();
  private readonly outgoing = new Map<number, OutgoingPipe>();
  /** pipes closed here: one that comes in late (its close overtook it) is refused */
  private readonly closedIn = new Set<number>();
  private lastBody: { rtp: RtpPacket; key: string | undefined; seq: number; body: Buffer[] } | undefined;
  /** datagrams dropped: unknown sender, type or pipe, or malformed */
  dropped = 0;

  constructor(readonly ctx: SessionContext) {
    this.socket.on('message', (data, from) => this.onMessage(data, from));
    // a pipe to a worker that has just gone: ICMP port unreachable comes back as an error on the socket
    this.socket.on('error', () => undefined);
  }

  bind(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(0, PIPE_ADDRESS, () => {
        this.socket.off('error', reject);
        resolve(this.socket.address().port);
      });
    });
  }

  /**
   * The body of a packet's datagrams, serialized once however many pipes its publisher has (they are sent one
   * after the other with the same packet).
   */
  bodyOf(rtp: RtpPacket, key: string | undefined): Buffer[] {
    const last = this.lastBody;
    // the same packet object, unchanged since (a packet renumbered in place is serialized afresh)
    if (last?.rtp === rtp && last.key === key && last.seq === rtp.header.sequenceNumber) return last.body;
    this.lastBody = { rtp, key, seq: rtp.header.sequenceNumber, body: rtpBody(rtp, key) };
    return this.lastBody.body;
  }

  sendTo(port: number, datagram: Buffer | Buffer[]): void {
    this.socket.send(datagram, port, PIPE_ADDRESS);
  }

  /** Starts a pipe out: the returned `PipeOut` goes into the publisher's `pipes`. */
  open(pipeId: number, port: number, onKeyframe: () => void): PipeOut {
    const pipe = new OutgoingPipe(this, pipeId, port, onKeyframe);
    this.outgoing.set(pipeId, pipe);
    return pipe;
  }

  /** Takes a pipe in: a source the subscribers of this worker can be bound to. */
  accept(pipeId: number, publisherId: string, port: number, description: PublisherDescription): PipedSource {
    if (this.closedIn.has(pipeId) || this.incoming.has(pipeId))
      throw new HttpError(404, 'no_stream', 'the stream closed meanwhile');
    const source = new PipedSource(publisherId, description, this.ctx, () =>
      this.sendTo(port, encodeSmall(KEYFRAME, pipeId)),
    );
    this.incoming.set(pipeId, { source, port });
    return source;
  }

  source(pipeId: number): PipedSource | undefined {
    return this.incoming.get(pipeId)?.source;
  }

  /** Closes a pipe: `out` returns it (to be taken from its publisher); `in` closes its subscribers here. */
  closePipe(pipeId: number, direction: 'out' | 'in'): PipeOut | undefined {
    if (direction === 'out') {
      const pipe = this.outgoing.get(pipeId);
      this.outgoing.delete(pipeId);
      return pipe;
    }
    this.incoming.get(pipeId)?.source.close();
    this.incoming.delete(pipeId);
    this.closedIn.add(pipeId);
    return undefined;
  }

  close(): void {
    for (const { source } of this.incoming.values()) source.close();
    this.incoming.clear();
    this.outgoing.clear();
    this.socket.close();
  }

  private onMessage(data: Buffer, from: RemoteInfo): void {
    // the sender first (cheap): only the worker at the other end of a known pipe may use it
    const pipeId = data.length >= HEADER_BYTES ? data.readUInt32BE(1) : -1;
    const keyframe = data[0] === KEYFRAME;
    const expectedPort = keyframe ? this.outgoing.get(pipeId)?.port : this.incoming.get(pipeId)?.port;
    if (from.address !== PIPE_ADDRESS || expectedPort === undefined || expectedPort !== from.port) {
      this.dropped += 1;
      return;
    }
    let message: PipeMessage;
    try {
      message = decodePipeMessage(data);
    } catch {
      this.dropped += 1;
      return;
    }
    if (message.type === 'keyframe') {
      this.outgoing.get(pipeId)?.onKeyframe();
      return;
    }
    const incoming = this.incoming.get(pipeId);
    if (!incoming) return;
    this.ctx.metrics.pipePacketsIn.inc();
    if (message.type === 'text') incoming.source.deliverText(message.text);
    else incoming.source.deliver(message.kind, message.rtp, message.key);
  }
}
