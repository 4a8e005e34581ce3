/**
 * Browser subscriber: receives one stream, and reads every decoded frame through a MediaStreamTrackProcessor
 * (works in background tabs, unlike requestVideoFrameCallback), its marker from the strip's luma rows
 * (marker-reader.ts): `renderedMs` is when the decoded frame is readable in the page. An encoded-frame receive
 * transform gives, per RTP timestamp, when the frame was complete at the receiver (`receivedMs`); a complete
 * frame that the reader never gets (the track processor keeps only the newest decoded frame when the page is
 * slow, or the decoder skipped it) is reported as discarded once a newer one is read, so it is not taken for
 * network loss. Frames whose marker fails its checksum are reported without an id: identity lost, never a
 * latency. A frame whose marker was read is scored against the regenerated original (frame-quality.ts), every
 * one or every Nth (scenario `quality.sampleEvery`). Asked to (translated speech), it reads the decoded audio the
 * same way and reports where speech starts in it. A/V sync: the receive transform also decodes the audio frames
 * as they arrive and reports the marker bursts in them (audio-receipt.ts).
 */
import { OnsetDetector } from '../../media/audio-onset.js';
import { captureMsFromLow } from '../../media/marker.js';
import { AI_CHANNEL_LABEL, parseAiResult } from '../../protocol/ai-channel.js';
import { ReceivedAudioMarkers } from './audio-receipt.js';
import { nowMs, pageTimeToMs } from './clock.js';
import type { FrameQuality } from './frame-quality.js';
import { MarkerReader } from './marker-reader.js';
import { iceGatheringComplete } from './publisher.js';
import type { PageAiResult, PageAvMarker, PageIceConfig, PageReceivedFrame, PageSpeechOnset } from './types.js';

/** A/V sync: where the page puts the marker bursts it receives, and when the first audio came */
export interface PageAvRecords {
  markers?: PageAvMarker[];
  firstAudio: number[];
}

interface EncodedMetadata {
  rtpTimestamp?: number;
  receiveTime?: number;
}

export class PageSubscriber {
  readonly pc: RTCPeerConnection;
  private readonly receiveTimes = new Map<number, number>();
  private reading = true;
  private audioSink: HTMLAudioElement | undefined;
  private audioMarkers: ReceivedAudioMarkers | undefined;
  /** scores the frames whose marker was read (every one, or every Nth) against the regenerated original */
  quality: FrameQuality | undefined;

  /** tap mode: results that came over the `glassbench-ai` DataChannel */
  private readonly aiResults: PageAiResult[] | undefined;

  constructor(
    private readonly received: PageReceivedFrame[],
    private readonly onError: (message: string) => void,
    aiResults?: PageAiResult[],
    private readonly onsets?: PageSpeechOnset[],
    ice?: PageIceConfig,
    private readonly av?: PageAvRecords,
  ) {
    this.pc = new RTCPeerConnection({
      iceServers: ice?.iceServers ?? [],
      iceTransportPolicy: ice?.iceTransportPolicy ?? 'all',
      encodedInsertableStreams: true,
    } as RTCConfiguration);
    this.aiResults = aiResults;
    this.pc.ontrack = (event) => {
      this.tapEncodedFrames(event.receiver);
      if (event.track.kind === 'audio') {
        // audio is received (and counted in stats); read only to hear translated speech start
        if (this.onsets)
          void this.readAudio(event.track, this.onsets).catch((error: unknown) =>
            this.onError(`audio reader: ${String(error)}`),
          );
        return;
      }
      void this.readFrames(event.track).catch((error: unknown) => this.onError(`reader: ${String(error)}`));
    };
  }

  async createOffer(): Promise<string> {
    const results = this.aiResults;
    if (results) {
      // created before the offer, so the offer carries the data section the SFU answers
      const channel = this.pc.createDataChannel(AI_CHANNEL_LABEL);
      channel.onmessage = (event: MessageEvent<unknown>) => {
        const receivedMs = nowMs();
        const f = typeof event.data === 'string' ? parseAiResult(event.data) : undefined;
        if (f !== undefined) results.push({ f, receivedMs });
      };
    }
    this.pc.addTransceiver('video', { direction: 'recvonly' });
    this.pc.addTransceiver('audio', { direction: 'recvonly' });
    await this.pc.setLocalDescription();
    await iceGatheringComplete(this.pc);
    return this.pc.localDescription?.sdp ?? '';
  }

  async setAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** A server that offers (Janus): its offer makes the transceivers; the answer receives what it sends. */
  async answerOffer(sdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.pc.setLocalDescription();
    await iceGatheringComplete(this.pc);
    return this.pc.localDescription?.sdp ?? '';
  }

  private tapEncodedFrames(receiver: RTCRtpReceiver): void {
    const streams = (
      receiver as unknown as { createEncodedStreams(): { readable: ReadableStream; writable: WritableStream } }
    ).createEncodedStreams();
    const receiveTimes = this.receiveTimes;
    const firstAudio = this.av?.firstAudio;
    let audioHeard = false;
    const markers = this.av?.markers;
    if (markers && receiver.track.kind === 'audio')
      this.audioMarkers ??= new ReceivedAudioMarkers(markers, this.onError);
    const audioMarkers = this.audioMarkers;
    const transform = new TransformStream({
      transform(frame: { getMetadata(): EncodedMetadata }, controller) {
        if (receiver.track.kind !== 'video') {
          const arrivalMs = nowMs();
          if (firstAudio && !audioHeard) firstAudio.push(arrivalMs); // time_to_first_audio_ms
          audioHeard = true;
          if (audioMarkers) {
            const { receiveTime } = frame.getMetadata();
            const payload = (frame as unknown as { data: ArrayBuffer }).data.slice(0);
            audioMarkers.push(payload, receiveTime === undefined ? arrivalMs : pageTimeToMs(receiveTime));
          }
          controller.enqueue(frame);
          return;
        }
        const meta = frame.getMetadata();
        if (meta.rtpTimestamp !== undefined && meta.receiveTime !== undefined) {
          receiveTimes.set(meta.rtpTimestamp, pageTimeToMs(meta.receiveTime));
          if (receiveTimes.size > 600) receiveTimes.delete(receiveTimes.keys().next().value as number);
        }
        controller.enqueue(frame);
      },
    });
    void streams.readable.pipeThrough(transform).pipeTo(streams.writable);
  }

  private async readFrames(track: MediaStreamTrack): Promise<void> {
    const processor = new MediaStreamTrackProcessor({ track: track as MediaStreamVideoTrack });
    const reader = processor.readable.getReader();
    const markers = new MarkerReader();
    while (this.reading) {
      const { value: frame, done } = await reader.read();
      if (done || !frame) break;
      const renderedMs = nowMs();
      try {
        const marker = await markers.read(frame);
        const rtpTs = (frame as unknown as { metadata?(): EncodedMetadata }).metadata?.().rtpTimestamp;
        const record: PageReceivedFrame = { renderedMs, markerReadMs: nowMs() - renderedMs };
        if (rtpTs !== undefined) {
          record.rtpTs = rtpTs;
          const receivedMs = this.receiveTimes.get(rtpTs);
          if (receivedMs !== undefined) record.receivedMs = receivedMs;
          this.discardOlderThan(rtpTs);
        }
        if (marker) {
          record.f = `${marker.publisherTag}:${marker.frameSeq}`;
          record.captureMs = captureMsFromLow(marker.captureLowMs, renderedMs);
          if (this.quality?.due()) await this.score(this.quality, frame, marker.frameSeq, record);
        }
        this.received.push(record);
      } finally {
        frame.close();
      }
    }
  }

  /** Scores the frame into its record; a scorer that fails is reported once and stops, the reader goes on. */
  private async score(
    quality: FrameQuality,
    frame: VideoFrame,
    frameSeq: number,
    record: PageReceivedFrame,
  ): Promise<void> {
    const startMs = nowMs();
    try {
      const q = await quality.score(frame, frameSeq);
      record.psnrDb = q.psnrDb;
      record.ssim = q.ssim;
      record.qualityMs = nowMs() - startMs;
    } catch (error) {
      this.quality = undefined;
      this.onError(`picture quality: ${String(error)}`);
    }
  }

  /**
   * Frames complete before `rtpTs` (the frame just read) that the reader never got: reported as discarded. The
   * receive map is in arrival order, so everything before `rtpTs` in it was passed over.
   */
  private discardOlderThan(rtpTs: number): void {
    if (!this.receiveTimes.has(rtpTs)) return;
    for (const [ts, receivedMs] of this.receiveTimes) {
      this.receiveTimes.delete(ts);
      if (ts === rtpTs) return;
      this.received.push({ rtpTs: ts, receivedMs, discarded: true });
    }
  }

  /**
   * Decoded audio as it reaches the page (after Chromium's jitter buffer), block by block (10 ms), into the
   * onset detector.
   */
  private async readAudio(track: MediaStreamTrack, onsets: PageSpeechOnset[]): Promise<void> {
    const processor = new MediaStreamTrackProcessor({ track: track as MediaStreamAudioTrack });
    const reader = processor.readable.getReader();
    const detector = new OnsetDetector((ms, levelDbfs) => onsets.push({ ms, levelDbfs }));
    let pcm = new Float32Array(0);
    // Chromium pulls a remote audio track through its decoder only while something plays it: a muted element
    // does, and nothing is heard
    const sink = new Audio();
    sink.muted = true;
    sink.srcObject = new MediaStream([track]);
    this.audioSink = sink;
    await sink.play();
    while (this.reading) {
      const { value: data, done } = await reader.read();
      if (done || !data) break;
      const ms = nowMs();
      try {
        if (pcm.length !== data.numberOfFrames) pcm = new Float32Array(data.numberOfFrames);
        data.copyTo(pcm, { planeIndex: 0, format: 'f32-planar' });
        detector.push(pcm, ms);
      } finally {
        data.close();
      }
    }
  }

  close(): void {
    this.reading = false;
    if (this.audioSink) this.audioSink.srcObject = null;
    this.audioMarkers?.close();
    this.pc.close();
  }
}
