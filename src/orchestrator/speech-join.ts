/**
 * The translation chain's results, joined after the run: what the SFU's chain did with each utterance, the
 * utterance the publisher played, and per receiver the subtitle it got (option A) and where it heard the
 * translation start (option B). Pure: it returns the summary's `speech` entries, the metric samples and the
 * records for the sinks, and the runner records and writes them.
 */
import type { MetricName } from '../metrics/catalogue.js';
import type { PeerInfo } from '../metrics/collector.js';
import type { SpeechSampleRecord, Tags } from '../metrics/types.js';
import { wordErrorRate } from '../metrics/word-error-rate.js';
import type { SpeechRecord } from '../protocol/ai.js';
import type { AiResultRecord, SpeechOnsetRecord, SubscriptionWindow, UtteranceRecord } from '../protocol/runner-ipc.js';
import type { RunSummary } from '../report/summary.js';

type SpeechEntry = NonNullable<RunSummary['speech']>[number];

/** an utterance the chain handled is the one the publisher played when their ends are this close, ms */
const MATCH_WITHIN_MS = 1500;

export interface SpeechJoinInput {
  /** what the SFU's chain did with each utterance (telemetry `k: 'speech'`) */
  records: SpeechRecord[];
  /** the utterances publishers played */
  utterances: UtteranceRecord[];
  /** subtitles receivers got over the AI DataChannel (`f` is `sub:<n>`) */
  subtitles: AiResultRecord[];
  /** where receivers heard speech start */
  onsets: SpeechOnsetRecord[];
  /** `<stream>/<n>` -> when the SFU began playing utterance n's translation, ms */
  voiceStarts: ReadonlyMap<string, number>;
  /** the SFU's stream id -> the publisher's peer id */
  publisherByStream: ReadonlyMap<string, string>;
  /** each peer's room and kind */
  peerInfo: ReadonlyMap<string, PeerInfo>;
  /** each publisher's tag */
  publisherTags: ReadonlyMap<string, number>;
  /** the subscriptions to a publisher's tag */
  receiversOf: (publisherTag: number) => SubscriptionWindow[];
  /** utterances that ended before this are recorded but kept out of the metrics, ms */
  measureFromMs: number;
  /** the chain's output; default subtitles */
  output: 'subtitles' | 'speech' | 'both';
  /** the variant tag of every record, for a scenario with variants */
  variant?: string;
}

interface SpeechJoin {
  entries: SpeechEntry[];
  /**
   * the samples of the translation metrics (asr_ms, mt_ms, tts_ttfb_ms, asr_wer_pct, subtitle_latency_ms,
   * s2s_latency_ms)
   */
  metrics: { name: MetricName; value: number; tags: Tags }[];
  /** one per utterance and receiver (one per utterance without receivers), for frames.ndjson.gz and InfluxDB */
  samples: SpeechSampleRecord[];
}

/**
 * Joins each utterance the SFU's chain handled to the utterance the publisher played (same publisher, the
 * nearest end within 1.5 s), then, per receiver of that publisher, to the subtitle it got (option A) and to
 * the first speech onset it heard after the translation began playing and before the next one did (option B).
 */
export function joinSpeech(input: SpeechJoinInput): SpeechJoin {
  const used = new Set<UtteranceRecord>();
  const out: SpeechJoin = { entries: [], metrics: [], samples: [] };
  const records = [...input.records].sort((a, b) => a.n - b.n);
  for (const r of records) {
    const peer = input.publisherByStream.get(r.pub);
    let match: UtteranceRecord | undefined;
    for (const u of input.utterances) {
      if (u.peer !== peer || used.has(u) || Math.abs(u.endMs - r.speechEndMs) > MATCH_WITHIN_MS) continue;
      if (!match || Math.abs(u.endMs - r.speechEndMs) < Math.abs(match.endMs - r.speechEndMs)) match = u;
    }
    const entry: SpeechEntry = {
      publisher: peer ?? r.pub,
      n: r.n,
      recognised: r.text ?? '',
      translation: r.translation ?? '',
      subtitlesReceived: 0,
    };
    if (input.output !== 'subtitles') entry.speechHeard = 0;
    if (r.error) entry.error = r.error;
    if (!match || peer === undefined) {
      out.entries.push(entry);
      continue;
    }
    used.add(match);
    entry.utterance = match.id;
    entry.text = match.text;
    const endMs = match.endMs;
    const measured = endMs >= input.measureFromMs;
    const room = input.peerInfo.get(match.peer)?.room ?? '';
    const tags = { room, publisher: match.peer };
    const record = (name: MetricName, value: number | undefined, t: Tags = tags): number | undefined => {
      if (value !== undefined && measured) out.metrics.push({ name, value, tags: t });
      return value;
    };
    entry.asrMs = record('asr_ms', r.asrDoneMs !== undefined ? r.asrDoneMs - endMs : undefined);
    entry.mtMs = record(
      'mt_ms',
      r.mtDoneMs !== undefined && r.asrDoneMs !== undefined ? r.mtDoneMs - r.asrDoneMs : undefined,
    );
    entry.ttsTtfbMs = record(
      'tts_ttfb_ms',
      r.ttsFirstAudioMs !== undefined && r.mtDoneMs !== undefined ? r.ttsFirstAudioMs - r.mtDoneMs : undefined,
    );
    if (r.text !== undefined) entry.werPct = record('asr_wer_pct', wordErrorRate(match.text, r.text));
    const base: SpeechSampleRecord = {
      kind: 'speech',
      room,
      publisher: match.peer,
      utterance: match.id,
      n: r.n,
      text: match.text,
      recognised: entry.recognised,
      translation: entry.translation,
      utteranceEndMs: endMs,
      ...(entry.asrMs !== undefined ? { asrMs: entry.asrMs } : {}),
      ...(entry.mtMs !== undefined ? { mtMs: entry.mtMs } : {}),
      ...(entry.ttsTtfbMs !== undefined ? { ttsTtfbMs: entry.ttsTtfbMs } : {}),
      ...(entry.werPct !== undefined ? { werPct: entry.werPct } : {}),
      ...(measured ? {} : { warmup: true as const }),
    };
    const tag = input.publisherTags.get(peer);
    const receivers = tag === undefined ? [] : input.receiversOf(tag);
    // the next utterance's translation, once it plays, is no longer this one's
    const playoutMs = input.voiceStarts.get(`${r.pub}/${r.n}`);
    const nextPlayoutMs = Math.min(
      ...records
        .filter((o) => o.pub === r.pub && o.n > r.n)
        .map((o) => input.voiceStarts.get(`${o.pub}/${o.n}`) ?? Number.POSITIVE_INFINITY),
    );
    for (const w of receivers) {
      const kind = input.peerInfo.get(w.peer)?.kind ?? 'synthetic';
      const subTags = { room, publisher: peer, subscriber: w.peer, peer_kind: kind };
      const sample: SpeechSampleRecord = { ...base, subscriber: w.peer, session: w.sub, peerKind: kind };
      const subtitle = input.subtitles.find((s) => s.sub === w.sub && s.f === `sub:${r.n}`);
      if (subtitle) {
        entry.subtitlesReceived += 1;
        sample.subtitleLatencyMs = record('subtitle_latency_ms', subtitle.receivedMs - endMs, subTags);
      }
      const onset =
        playoutMs === undefined
          ? undefined
          : input.onsets.find((o) => o.sub === w.sub && o.ms >= playoutMs && o.ms < nextPlayoutMs);
      if (onset) {
        entry.speechHeard = (entry.speechHeard ?? 0) + 1;
        sample.s2sLatencyMs = record('s2s_latency_ms', onset.ms - endMs, subTags);
      }
      if (input.variant) sample.variant = input.variant;
      out.samples.push(sample);
    }
    if (receivers.length === 0) {
      if (input.variant) base.variant = input.variant;
      out.samples.push(base);
    }
    out.entries.push(entry);
  }
  return out;
}
