/**
 * The two VideoRoom flows a glassbench peer needs, each on a session of its own (so one peer's failure or
 * timeout never takes another's down):
 * - publish: `joinandconfigure` as a publisher with the peer's offer; Janus answers and names the feed id;
 * - subscribe: `join` as a subscriber to one feed; JANUS makes the offer, the peer answers with `start`.
 * Closing sends `leave` (best effort) and destroys the session, which detaches its handle.
 */
import { GlassbenchError } from '../../errors.js';
import {
  isRoomExistsError,
  publisherJoined,
  roomExists,
  subscriberAttached,
  subscriberStarted,
  videoroom,
  VIDEOROOM_PLUGIN,
} from './messages.js';
import { JanusSession } from './session.js';

/** the most publishers a room glassbench creates takes (Janus's own default is 3) */
const ROOM_PUBLISHERS = 1000;

export interface JanusTargetOptions {
  /** the Janus HTTP API */
  url: string;
  token?: string;
  room: number;
}

export interface JanusPublication {
  /** the publisher's feed id in the room: what subscribers join */
  feed: number;
  answerSdp: string;
  close(): Promise<void>;
}

export interface JanusSubscription {
  /** the subscriber handle's id: the subscription's name in records */
  handle: number;
  offerSdp: string;
  /** Sends the peer's answer (`start`) and waits until the VideoRoom confirms it. */
  start(answerSdp: string): Promise<void>;
  close(): Promise<void>;
}

async function openHandle(options: JanusTargetOptions): Promise<{ session: JanusSession; handle: number }> {
  const session = new JanusSession(
    options.token === undefined ? { url: options.url } : { url: options.url, token: options.token },
  );
  try {
    await session.open();
    return { session, handle: await session.attach(VIDEOROOM_PLUGIN) };
  } catch (error) {
    await session.close();
    throw error;
  }
}

/** Creates the room unless it exists; a room another publisher created meanwhile (error 427) is fine. */
async function ensureRoom(session: JanusSession, handle: number, room: number): Promise<void> {
  const exists = await session.message(handle, videoroom.exists(room), undefined, `exists room ${room}`);
  if (roomExists(exists, `exists room ${room}`)) return;
  try {
    await session.message(handle, videoroom.create(room, ROOM_PUBLISHERS), undefined, `create room ${room}`);
  } catch (error) {
    if (!isRoomExistsError(error)) throw error;
  }
}

function closer(session: JanusSession, handle: number): () => Promise<void> {
  return async () => {
    if (!session.lost) await session.message(handle, videoroom.leave()).catch(() => undefined);
    await session.close();
  };
}

export async function publishToRoom(
  options: JanusTargetOptions & { createRoom: boolean; display: string; offerSdp: string },
): Promise<JanusPublication> {
  const { session, handle } = await openHandle(options);
  try {
    if (options.createRoom) await ensureRoom(session, handle, options.room);
    const what = `joinandconfigure room ${options.room}`;
    const joined = publisherJoined(
      await session.message(
        handle,
        videoroom.publish(options.room, options.display),
        { type: 'offer', sdp: options.offerSdp },
        what,
      ),
      what,
    );
    return { ...joined, close: closer(session, handle) };
  } catch (error) {
    await session.close();
    throw error;
  }
}

export async function subscribeToFeed(options: JanusTargetOptions & { feed: number }): Promise<JanusSubscription> {
  const { session, handle } = await openHandle(options);
  try {
    const what = `join room ${options.room} feed ${options.feed}`;
    const { offerSdp } = subscriberAttached(
      await session.message(handle, videoroom.subscribe(options.room, options.feed), undefined, what),
      what,
    );
    return {
      handle,
      offerSdp,
      async start(answerSdp: string): Promise<void> {
        if (session.lost) throw new GlassbenchError('RUN_FAILED', session.lost);
        subscriberStarted(
          await session.message(
            handle,
            videoroom.start(),
            { type: 'answer', sdp: answerSdp },
            `start feed ${options.feed}`,
          ),
          `start feed ${options.feed}`,
        );
      },
      close: closer(session, handle),
    };
  } catch (error) {
    await session.close();
    throw error;
  }
}
