/**
 * The metric catalogue (design.md section 4): every metric glassbench reports, its kind, unit and what it
 * starts and ends at. A name that is not here cannot be reported, and a threshold on it is an error.
 */
export type MetricKind =
  /** a distribution of samples, summarised from an HDR histogram */
  | 'trend'
  /** a count of events; its `rate` is per second of the measured window */
  | 'counter'
  /** k6's Rate: each sample is a yes or a no; its `rate` is the fraction of yeses (0..1), `count` the samples */
  | 'rate';

export interface MetricDefinition {
  name: string;
  kind: MetricKind;
  unit: 'ms' | 'count' | 'pct' | 'mb' | 'fps' | 'ratio';
  /** start -> end, or what is counted */
  definition: string;
  /** tags its samples carry, usable as threshold filters */
  tags: readonly string[];
}

const FRAME_TAGS = ['room', 'publisher', 'subscriber', 'peer_kind'] as const;
/** per frame at the SFU, before it fans out to receivers */
const AI_TAGS = ['room', 'publisher'] as const;

export const METRICS: readonly MetricDefinition[] = [
  { name: 'g2g_latency_ms', kind: 'trend', unit: 'ms', definition: 'captureMs -> renderedMs (browser receivers: the decoded frame is readable in the page, read by a MediaStreamTrackProcessor)', tags: FRAME_TAGS },
  { name: 'frame_latency_ms', kind: 'trend', unit: 'ms', definition: 'captureMs -> receivedMs (last packet at the receiver, frame complete)', tags: FRAME_TAGS },
  { name: 'uplink_ms', kind: 'trend', unit: 'ms', definition: 'sentMs -> sfuInMs (first packet of the frame at the SFU)', tags: FRAME_TAGS },
  { name: 'sfu_ms', kind: 'trend', unit: 'ms', definition: 'sfuInMs -> sfuOutMs (first packet of the frame leaves the SFU towards this receiver)', tags: FRAME_TAGS },
  { name: 'downlink_ms', kind: 'trend', unit: 'ms', definition: 'sfuOutMs -> receivedMs', tags: FRAME_TAGS },
  { name: 'render_ms', kind: 'trend', unit: 'ms', definition: 'receivedMs -> renderedMs (browser receivers: jitter buffer, decode, render)', tags: FRAME_TAGS },
  { name: 'audio_packets_received', kind: 'counter', unit: 'count', definition: 'audio RTP packets received by browser receivers (the spoken-audio track, getStats)', tags: FRAME_TAGS },
  { name: 'marker_read_ms', kind: 'trend', unit: 'ms', definition: 'browser receivers: page time to read one frame\'s pixel marker (the measuring cost per frame)', tags: FRAME_TAGS },
  { name: 'frames_sent', kind: 'counter', unit: 'count', definition: 'frames handed to RTP by publishers', tags: ['room', 'publisher'] },
  { name: 'send_lag_ms', kind: 'trend', unit: 'ms', definition: 'scheduled capture time (the publisher\'s fixed timetable, which is the frame\'s captureMs) -> the frame handed to RTP (synthetic publishers)', tags: ['room', 'publisher'] },
  { name: 'frames_skipped', kind: 'counter', unit: 'count', definition: 'frames due on the publisher\'s timetable that could not be sent in time (a starved publisher, a busy encoder): never sent, never expected', tags: ['room', 'publisher'] },
  { name: 'frames_dropped_encoder', kind: 'counter', unit: 'count', definition: 'browser publishers: frames drawn into the source that the encoder never sent (also counted in frames_skipped)', tags: ['room', 'publisher'] },
  { name: 'frames_late', kind: 'counter', unit: 'count', definition: 'frames that reached a receiver after the 2 s loss window (counted once, with their latency; not lost)', tags: FRAME_TAGS },
  { name: 'frames_discarded_reader', kind: 'counter', unit: 'count', definition: 'browser receivers: frames complete at the receiver that the page\'s track reader never got (discarded before reading; received, not rendered)', tags: FRAME_TAGS },
  { name: 'frame_loss_ratio', kind: 'rate', unit: 'ratio', definition: 'k6 Rate: per expected frame at each receiver, 1 when lost, 0 when received or late; rate = lost / expected', tags: FRAME_TAGS },
  { name: 'frames_received', kind: 'counter', unit: 'count', definition: 'complete frames at receivers (one per receiver)', tags: FRAME_TAGS },
  { name: 'frames_lost', kind: 'counter', unit: 'count', definition: 'frames sent while a receiver was subscribed and not received by it within 2 s', tags: FRAME_TAGS },
  { name: 'identity_lost', kind: 'counter', unit: 'count', definition: 'complete frames whose frame id or capture time could not be read', tags: FRAME_TAGS },
  { name: 'fps_received', kind: 'trend', unit: 'fps', definition: 'complete frames per second, one sample per receiver over its subscribed window', tags: FRAME_TAGS },
  { name: 'jitter_ms', kind: 'trend', unit: 'ms', definition: 'inbound video jitter from getStats, one sample per browser receiver per second', tags: FRAME_TAGS },
  { name: 'packet_loss_pct', kind: 'trend', unit: 'pct', definition: 'video packets lost / expected over each second at each receiver (browsers: getStats; synthetic: sequence gaps on arrival, before NACK repair)', tags: FRAME_TAGS },
  { name: 'bitrate_kbps', kind: 'trend', unit: 'count', definition: 'received video bitrate over each second (getStats)', tags: FRAME_TAGS },
  { name: 'jitter_buffer_delay_ms', kind: 'trend', unit: 'ms', definition: 'mean jitter-buffer delay of the frames emitted in each second (getStats)', tags: FRAME_TAGS },
  { name: 'decode_ms', kind: 'trend', unit: 'ms', definition: 'mean decode time of the frames decoded in each second (getStats)', tags: FRAME_TAGS },
  { name: 'nack_count', kind: 'counter', unit: 'count', definition: 'NACKs sent by browser receivers (getStats)', tags: FRAME_TAGS },
  { name: 'pli_count', kind: 'counter', unit: 'count', definition: 'PLIs sent by browser receivers (getStats)', tags: FRAME_TAGS },
  { name: 'freeze_count', kind: 'counter', unit: 'count', definition: 'video freezes at browser receivers (getStats freezeCount)', tags: FRAME_TAGS },
  { name: 'freeze_ms', kind: 'counter', unit: 'ms', definition: 'total frozen time at browser receivers (getStats totalFreezesDuration)', tags: FRAME_TAGS },
  { name: 'ai_queue_ms', kind: 'trend', unit: 'ms', definition: 'AI hook: frame complete at the SFU -> a pool worker takes it', tags: AI_TAGS },
  { name: 'ai_decode_ms', kind: 'trend', unit: 'ms', definition: 'AI hook: decode stage start -> end (waiting for a device included)', tags: AI_TAGS },
  { name: 'ai_inference_ms', kind: 'trend', unit: 'ms', definition: 'AI hook: inference stage start -> end (waiting for a device included); budget in ai.budget', tags: AI_TAGS },
  { name: 'ai_encode_ms', kind: 'trend', unit: 'ms', definition: 'AI hook: encode stage start -> end (waiting for a device included)', tags: AI_TAGS },
  { name: 'ai_hook_ms', kind: 'trend', unit: 'ms', definition: 'AI hook: frame complete at the SFU -> AI output ready (tap and inline)', tags: AI_TAGS },
  { name: 'ai_result_latency_ms', kind: 'trend', unit: 'ms', definition: 'AI hook, tap mode: captureMs -> the frame\'s AI result received by a subscriber over the DataChannel', tags: FRAME_TAGS },
  { name: 'asr_ms', kind: 'trend', unit: 'ms', definition: 'translation chain: utterance end (sender) -> final transcript', tags: AI_TAGS },
  { name: 'mt_ms', kind: 'trend', unit: 'ms', definition: 'translation chain: final transcript -> translation ready', tags: AI_TAGS },
  { name: 'tts_ttfb_ms', kind: 'trend', unit: 'ms', definition: 'translation chain: translation ready -> first synthesised audio', tags: AI_TAGS },
  { name: 'subtitle_latency_ms', kind: 'trend', unit: 'ms', definition: 'translation chain: utterance end (sender) -> subtitle received over the DataChannel (option A)', tags: FRAME_TAGS },
  { name: 's2s_latency_ms', kind: 'trend', unit: 'ms', definition: 'translation chain: utterance end (sender) -> translated speech heard starting in the received audio (option B)', tags: FRAME_TAGS },
  { name: 'asr_wer_pct', kind: 'trend', unit: 'pct', definition: 'translation chain: word error rate of the transcript against the known utterance text, one sample per utterance', tags: AI_TAGS },
  { name: 'frames_dropped_ai', kind: 'counter', unit: 'count', definition: 'frames the AI queue policy dropped (never forwarded inline; not counted lost)', tags: AI_TAGS },
  { name: 'frames_failed_ai', kind: 'counter', unit: 'count', definition: 'frames whose AI stage failed (e.g. the external worker went away with them in flight)', tags: AI_TAGS },
  { name: 'calls_dropped', kind: 'counter', unit: 'count', definition: 'arrival-rate: calls due to start while maxCalls were running, so not started', tags: [] },
  { name: 'peers_active', kind: 'trend', unit: 'count', definition: 'peers connected, sampled once a second over the hold (executors change it)', tags: [] },
  { name: 'frames_over_budget', kind: 'counter', unit: 'count', definition: 'frames whose ai_inference_ms exceeded the inference budget (ai.budget, default 30 ms)', tags: AI_TAGS },
  { name: 'ai_device_utilisation_pct', kind: 'trend', unit: 'pct', definition: 'busy share of one AI device over each second (all its slots), per device', tags: ['device'] },
  { name: 'cpu_pct', kind: 'trend', unit: 'pct', definition: 'CPU of one process over one second (100 = one core), per process', tags: ['process'] },
  { name: 'loop_delay_ms', kind: 'trend', unit: 'ms', definition: 'event-loop delay of one process, p99 over each second (Node: monitorEventLoopDelay; browser pages: a main-thread lag probe), per process', tags: ['process'] },
  { name: 'sfu_loop_delay_ms', kind: 'trend', unit: 'ms', definition: 'the reference SFU\'s event-loop delay, p99 over each second: time a datagram can wait before the SFU reads it, which no stage stamp sees', tags: [] },
  { name: 'machine_cpu_pct', kind: 'trend', unit: 'pct', definition: 'the whole machine\'s busy CPU over each second, percent of all cores (/proc/stat; steal included)', tags: [] },
  { name: 'machine_steal_pct', kind: 'trend', unit: 'pct', definition: 'CPU stolen from this machine by its hypervisor over each second, percent of all cores (/proc/stat)', tags: [] },
  { name: 'rss_mb', kind: 'trend', unit: 'mb', definition: 'resident memory of one process, sampled each second', tags: ['process'] },
];

/** Browser receivers' getStats samples: which sample field feeds which metric (one table for every sink). */
export const STATS_TRENDS = [
  ['jitter_ms', 'jitterMs'],
  ['packet_loss_pct', 'packetLossPct'],
  ['bitrate_kbps', 'bitrateKbps'],
  ['jitter_buffer_delay_ms', 'jitterBufferDelayMs'],
  ['decode_ms', 'decodeMs'],
] as const;
/** counters: each sample carries the increment since the previous one */
export const STATS_COUNTERS = [
  ['nack_count', 'nackCount'],
  ['pli_count', 'pliCount'],
  ['freeze_count', 'freezeCount'],
  ['freeze_ms', 'freezeMs'],
  ['audio_packets_received', 'audioPacketsReceived'],
] as const;

const BY_NAME = new Map(METRICS.map((m) => [m.name, m]));

export function findMetric(name: string): MetricDefinition | undefined {
  return BY_NAME.get(name);
}

export function metricNames(): string[] {
  return METRICS.map((m) => m.name);
}
