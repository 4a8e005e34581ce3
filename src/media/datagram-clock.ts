/**
 * Stage stamps as close to the wire as Node allows (docs/metrics.md), for werift peer connections.
 *
 * In: werift 0.24.4 hands a datagram from its ICE socket's 'message' event through STUN demultiplexing, SRTP
 * decryption, RTP parsing and its router to `track.onReceiveRtp` synchronously (UdpTransport -> StunProtocol
 * -> ice Connection.onData -> RTCDtlsTransport, srtp.decrypt -> RtpRouter.routeRtp -> RTCRtpReceiver.handleRTP
 * -> onReceiveRtp; every hop an `Event.execute` or a plain call). A listener put before werift's on the socket
 * stamps the read, one put after it clears the stamp, so code reached from onReceiveRtp in between reads when
 * its datagram left the kernel's queue, before SRTP and werift's work. Outside a datagram (werift changed, a
 * path that defers) `datagramReadMs()` is undefined and callers stamp the time they run instead.
 *
 * Out: werift's sendRtp runs synchronously down to `socket.send`, but Node's dgram resolves the address of an
 * unconnected socket through dns.lookup, which for an IP literal calls back on process.nextTick: the datagram
 * reaches the kernel (uv_udp_try_send) in that tick. A tick queued right after sendRtp runs right after it.
 *
 * What no stamp sees is the time a datagram waits in the kernel before the event loop reads it: the event-loop
 * delay, reported beside the stages (`sfu_loop_delay_ms`, `loop_delay_ms`).
 */
import { Socket } from 'node:dgram';

import type { RTCPeerConnection } from 'werift';

import { nowMs } from '../metrics/clock.js';

let readMs: number | undefined;
const hooked = new WeakSet<Socket>();

const onRead = (): void => {
  readMs = nowMs();
};
const onDone = (): void => {
  readMs = undefined;
};

/** When the datagram being handled now was read from its socket, ms; undefined outside one. */
export function datagramReadMs(): number | undefined {
  return readMs;
}

/** The UDP sockets of a peer connection's ICE transports (werift internals, read defensively). */
function socketsOf(pc: RTCPeerConnection): Socket[] {
  const out: Socket[] = [];
  for (const ice of pc.iceTransports) {
    const protocols =
      (ice.connection as unknown as { protocols?: { transport?: { socket?: unknown } }[] }).protocols ?? [];
    for (const protocol of protocols) {
      const socket = protocol.transport?.socket;
      if (socket instanceof Socket) out.push(socket);
    }
  }
  return out;
}

/**
 * Stamps the read time of every datagram on the connection's sockets (call once its candidates are gathered,
 * after setLocalDescription). Returns how many sockets it hooked, so a caller can tell werift changed.
 */
export function attachDatagramClock(pc: RTCPeerConnection): number {
  let count = 0;
  for (const socket of socketsOf(pc)) {
    count += 1;
    if (hooked.has(socket)) continue;
    hooked.add(socket);
    socket.prependListener('message', onRead);
    socket.on('message', onDone);
  }
  return count;
}

/** Calls `onSent` with the time the datagram just given to werift's sendRtp was handed to the kernel. */
export function afterDatagramSent(onSent: (ms: number) => void): void {
  process.nextTick(() => onSent(nowMs()));
}
