/**
 * Shared set-up of a synthetic peer's connection: offer, WHIP/WHEP exchange, wait until connected. The answer's
 * candidates are used as they come: the target decides where media goes (docs/networks.md).
 */
import type { RTCPeerConnection } from 'werift';

import { GlassbenchError } from '../../errors.js';
import { SilenceWatch } from '../liveness.js';
import { postOffer, type SignalingAuth, type SignalingSession } from '../signaling.js';

export async function connectPeer(
  pc: RTCPeerConnection,
  endpointUrl: string,
  auth: SignalingAuth,
  timeoutMs: number,
  onSignaled?: (session: SignalingSession) => void,
): Promise<SignalingSession> {
  await pc.setLocalDescription(await pc.createOffer());
  const offer = pc.localDescription?.sdp;
  if (!offer) throw new GlassbenchError('RUN_FAILED', 'werift produced no offer');
  const session = await postOffer(endpointUrl, offer, auth);
  onSignaled?.(session);
  await pc.setRemoteDescription({ type: 'answer', sdp: session.answerSdp });
  await waitConnected(pc, timeoutMs, endpointUrl);
  return session;
}

export function waitConnected(pc: RTCPeerConnection, timeoutMs: number, endpointUrl: string): Promise<void> {
  if (pc.connectionState === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new GlassbenchError('RUN_FAILED', `no media connection to ${endpointUrl} within ${timeoutMs} ms`));
    }, timeoutMs);
    const { unSubscribe: unsubscribe } = pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      } else if (state === 'failed' || state === 'closed') {
        clearTimeout(timer);
        unsubscribe();
        reject(new GlassbenchError('RUN_FAILED', `media connection to ${endpointUrl} ${state}`));
      }
    });
  });
}

/**
 * Watches a connected werift connection (peers/liveness.ts): anything counted on its selected candidate pair
 * (media, RTCP, the target's ICE checks and its answers to ours) is hearing from the target; `failed` (ICE consent
 * expired) is lost at once. Returns what stops the watch, for when the peer closes the connection itself.
 */
export function watchConnection(
  pc: RTCPeerConnection,
  endpointUrl: string,
  silenceMs: number,
  onLost: (lost: { message: string; lastHeardMs: number }) => void,
): () => void {
  let counted = -1;
  const watch = new SilenceWatch(endpointUrl, silenceMs, onLost, () => {
    let total = 0;
    for (const transport of pc.iceTransports) {
      const pair = transport.connection.nominated;
      if (pair) total += pair.packetsReceived + pair.responsesReceived + pair.requestsReceived;
    }
    const heard = total !== counted;
    counted = total;
    return heard;
  });
  const { unSubscribe } = pc.connectionStateChange.subscribe((state) => watch.state(state));
  return () => {
    unSubscribe();
    watch.stop();
  };
}
