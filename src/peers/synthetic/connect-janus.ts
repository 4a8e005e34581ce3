/**
 * A synthetic peer's connection to a Janus VideoRoom (src/peers/janus/): a publisher offers and Janus answers
 * (as WHIP); a subscriber gets JANUS's offer and answers it ("server offers", unlike WHEP). The remote
 * candidates are used as Janus gives them: the target decides where media goes (docs/janus.md).
 */
import type { RTCPeerConnection } from 'werift';

import { GlassbenchError } from '../../errors.js';
import { type JanusPublication, type JanusSubscription, publishToRoom, subscribeToFeed } from '../janus/videoroom.js';
import { waitConnected } from './connect.js';

export interface JanusConnectOptions {
  /** the Janus HTTP API */
  url: string;
  token?: string;
  room: number;
  timeoutMs: number;
}

function targetOf(options: JanusConnectOptions): { url: string; room: number; token?: string } {
  return options.token === undefined
    ? { url: options.url, room: options.room }
    : { url: options.url, room: options.room, token: options.token };
}

/** Offers, joins the room as a publisher and waits for media; resolves with the publication (its feed id). */
export async function publishJanus(
  pc: RTCPeerConnection,
  options: JanusConnectOptions & { createRoom: boolean; display: string },
): Promise<JanusPublication> {
  await pc.setLocalDescription(await pc.createOffer());
  const offerSdp = pc.localDescription?.sdp;
  if (!offerSdp) throw new GlassbenchError('RUN_FAILED', 'werift produced no offer');
  const publication = await publishToRoom({
    ...targetOf(options),
    createRoom: options.createRoom,
    display: options.display,
    offerSdp,
  });
  try {
    await pc.setRemoteDescription({ type: 'answer', sdp: publication.answerSdp });
    await waitConnected(pc, options.timeoutMs, `${options.url} room ${options.room}`);
    return publication;
  } catch (error) {
    await publication.close();
    throw error;
  }
}

/**
 * Joins feed `feed` as a subscriber: Janus offers, the peer answers (its transceivers, added before, take the
 * offer's sections), `start` confirms, and it waits for media. `onAnswered` runs once the local description is
 * set (its sockets exist), before any media arrives.
 */
export async function subscribeJanus(
  pc: RTCPeerConnection,
  options: JanusConnectOptions & { feed: number },
  onAnswered?: (subscription: JanusSubscription) => void,
): Promise<JanusSubscription> {
  const subscription = await subscribeToFeed({ ...targetOf(options), feed: options.feed });
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp: subscription.offerSdp });
    await pc.setLocalDescription(await pc.createAnswer());
    const answerSdp = pc.localDescription?.sdp;
    if (!answerSdp) throw new GlassbenchError('RUN_FAILED', 'werift produced no answer');
    onAnswered?.(subscription);
    await subscription.start(answerSdp);
    await waitConnected(pc, options.timeoutMs, `${options.url} room ${options.room} feed ${options.feed}`);
    return subscription;
  } catch (error) {
    await subscription.close();
    throw error;
  }
}
