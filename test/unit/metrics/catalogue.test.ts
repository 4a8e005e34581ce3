/** The catalogue is the one table of metric names, record fields and InfluxDB fields; what derives from it. */
import { describe, expect, it } from 'vitest';

import {
  aiStageMetric,
  aiStageOfInfluxField,
  FRAME_STAGE_METRICS,
  frameFieldMetrics,
  frameInfluxFields,
  METRICS,
  SPEECH_METRICS,
  STATS_COUNTERS,
  STATS_TRENDS,
} from '../../../src/metrics/catalogue.js';
import { MetricSeries } from '../../../src/metrics/series.js';

describe('metric catalogue', () => {
  it('names each metric once, and every row says its scope, unit and which way is better', () => {
    const names = METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of METRICS) {
      expect(['lower', 'higher', 'zero']).toContain(m.better);
      expect(m.definition.length).toBeGreaterThan(10);
    }
  });

  it('derives the tables that used to be written by hand, in the order they had', () => {
    expect(frameFieldMetrics('receipt')).toEqual([
      { metric: 'g2g_latency_ms', field: 'g2gLatencyMs' },
      { metric: 'frame_latency_ms', field: 'frameLatencyMs' },
      { metric: 'uplink_ms', field: 'uplinkMs' },
      { metric: 'sfu_ms', field: 'sfuMs' },
      { metric: 'downlink_ms', field: 'downlinkMs' },
      { metric: 'render_ms', field: 'renderMs' },
      // set by the A/V sync join (metrics/av-sync.ts) on marker frames, which records its samples itself
      { metric: 'av_sync_ms', field: 'avSyncMs' },
      { metric: 'video_psnr_db', field: 'videoPsnrDb' },
      { metric: 'video_ssim', field: 'videoSsim' },
    ]);
    expect(frameFieldMetrics('frame')).toEqual([
      { metric: 'ai_queue_ms', field: 'aiQueueMs' },
      { metric: 'ai_batch_size', field: 'aiBatchSize' },
      { metric: 'ai_batch_wait_ms', field: 'aiBatchWaitMs' },
      { metric: 'ai_hook_ms', field: 'aiHookMs' },
    ]);
    expect(FRAME_STAGE_METRICS.map((m) => m.metric)).toEqual([
      'g2g_latency_ms',
      'frame_latency_ms',
      'uplink_ms',
      'sfu_ms',
      'downlink_ms',
    ]);
    expect(STATS_TRENDS).toEqual([
      ['jitter_ms', 'jitterMs'],
      ['packet_loss_pct', 'packetLossPct'],
      ['bitrate_kbps', 'bitrateKbps'],
      ['jitter_buffer_delay_ms', 'jitterBufferDelayMs'],
      ['decode_ms', 'decodeMs'],
    ]);
    expect(new Set(STATS_COUNTERS.map(([m]) => m))).toEqual(
      new Set(['nack_count', 'pli_count', 'audio_packets_received']),
    );
    expect(SPEECH_METRICS.map((m) => [m.field, m.influxField, m.scope])).toEqual([
      ['asrMs', 'asr_ms', 'utterance'],
      ['mtMs', 'mt_ms', 'utterance'],
      ['ttsTtfbMs', 'tts_ttfb_ms', 'utterance'],
      ['subtitleLatencyMs', 'subtitle_latency_ms', 'listener'],
      ['s2sLatencyMs', 's2s_latency_ms', 'listener'],
      ['werPct', 'asr_wer_pct', 'utterance'],
    ]);
  });

  it('maps AI stages to their metrics and InfluxDB fields both ways', () => {
    expect(aiStageMetric('inference')).toBe('ai_inference_ms');
    expect(aiStageMetric('nonsense')).toBeUndefined();
    expect(aiStageOfInfluxField('ai_encode_ms')).toBe('encode');
    expect(aiStageOfInfluxField('ai_queue_ms')).toBeUndefined();
    const fields = frameInfluxFields({
      room: 'r',
      subscriber: 's',
      session: 'x',
      peerKind: 'synthetic',
      keyframe: false,
      bytes: 1,
      frameLatencyMs: 12,
      aiStagesMs: { decode: 3 },
    });
    expect(fields).toEqual([
      ['frame_latency_ms', 12],
      ['ai_decode_ms', 3],
    ]);
  });

  it('makes a misspelt metric name a type error (tsc checks the expect-error lines)', () => {
    const series = new MetricSeries();
    // @ts-expect-error: not a metric of the catalogue
    series.add('frames_dropt', {});
    // @ts-expect-error: not a metric of the catalogue
    series.record('g2g_latency', 1, {});
    series.add('frames_duplicated', {});
    expect(series.summaries()['frames_duplicated']).toMatchObject({ count: 1 });
  });
});
