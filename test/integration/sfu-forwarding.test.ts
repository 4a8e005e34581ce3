/**
 * Forwarding in the reference SFU with raw werift peers: Opus audio and VP8 video both reach the
 * subscriber, and identity extensions arrive under the ids the subscriber negotiated, not the publisher's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MediaStreamTrack,
  type PeerConfig,
  RTCPeerConnection,
  RTCRtpHeaderExtensionParameters,
  RtpHeader,
  RtpPacket,
} from 'werift';

import { ReferenceServer } from '../../reference-server/server.js';
import {
  ABS_CAPTURE_TIME_URI,
  encodeAbsCaptureTime,
  encodeFrameId,
  extensionIdsFrom,
  FRAME_ID_URI,
  readIdentity,
} from '../../src/media/rtp-identity.js';
import { buildVp8Frame, packetizeVp8 } from '../../src/media/vp8-synthetic.js';
import { peerConfig } from '../../src/media/werift-config.js';
import { connectPeer } from '../../src/peers/synthetic/connect.js';

function configWith(videoExtensions: string[]): Partial<PeerConfig> {
  const config = peerConfig();
  // a dummy first extension shifts every id, so publisher and subscriber ids differ
  config.headerExtensions = {
    audio: [],
    video: videoExtensions.map((uri) => new RTCRtpHeaderExtensionParameters({ uri })),
  };
  return config;
}

describe('reference SFU forwarding', () => {
  let server: ReferenceServer;
  let base: string;

  beforeAll(async () => {
    server = new ReferenceServer();
    base = `http://127.0.0.1:${await server.listen(0)}`;
  });

  afterAll(async () => {
    await server.close();
  });

  it('forwards audio and video, renumbering identity extensions for each subscriber', async () => {
    const publisher = new RTCPeerConnection(configWith([FRAME_ID_URI, ABS_CAPTURE_TIME_URI]));
    const video = publisher.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
    const audio = publisher.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
    const published = await connectPeer(publisher, `${base}/whip/fw`, {}, 10_000);

    const subscriber = new RTCPeerConnection(
      configWith(['urn:ietf:params:rtp-hdrext:sdes:mid', ABS_CAPTURE_TIME_URI, FRAME_ID_URI]),
    );
    const videoIn = subscriber.addTransceiver('video', { direction: 'recvonly' });
    const audioIn = subscriber.addTransceiver('audio', { direction: 'recvonly' });
    const got = { audio: [] as Buffer[], videoIds: [] as (string | undefined)[] };
    videoIn.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        const identity = readIdentity(rtp.header.extensions, extensionIdsFrom(videoIn.headerExtensions));
        got.videoIds.push(identity.id ? `${identity.id.publisherTag}:${identity.id.frameSeq}` : undefined);
      }),
    );
    audioIn.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => got.audio.push(rtp.payload)));
    await connectPeer(subscriber, `${base}/whep/fw?stream=${published.sessionId}`, {}, 10_000);

    const pubIds = extensionIdsFrom(video.headerExtensions);
    const subIds = extensionIdsFrom(videoIn.headerExtensions);
    expect(pubIds.frameId).toBeDefined();
    expect(subIds.frameId).toBeDefined();
    expect(subIds.frameId).not.toBe(pubIds.frameId);

    const opusSilence = Buffer.from([0xf8, 0xff, 0xfe]);
    for (let i = 0; i < 20; i += 1) {
      const header = new RtpHeader({
        payloadType: 111,
        sequenceNumber: i,
        timestamp: i * 960,
        ssrc: 1111,
        marker: false,
      });
      void audio.sender.sendRtp(new RtpPacket(header, opusSilence));
      const payloads = packetizeVp8(buildVp8Frame({ keyframe: i === 0, sizeBytes: 1500 }, 640, 360), i);
      payloads.forEach((payload, p) => {
        const extensions = [
          { id: pubIds.frameId as number, payload: encodeFrameId({ publisherTag: 7, frameSeq: i }) },
          { id: pubIds.absCaptureTime as number, payload: encodeAbsCaptureTime(1000 + i) },
        ];
        const vheader = new RtpHeader({
          payloadType: 96,
          sequenceNumber: 100 + i * 2 + p,
          timestamp: i * 3000,
          ssrc: 2222,
          marker: p === payloads.length - 1,
          extension: true,
          extensions,
        });
        void video.sender.sendRtp(new RtpPacket(vheader, payload));
      });
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 500));

    expect(got.audio.length).toBeGreaterThanOrEqual(15);
    expect(got.audio.every((p) => p.equals(opusSilence))).toBe(true);
    expect(got.videoIds.length).toBeGreaterThanOrEqual(30);
    expect(got.videoIds.every((id) => id !== undefined && id.startsWith('7:'))).toBe(true);
    await subscriber.close();
    await publisher.close();
  });
});
