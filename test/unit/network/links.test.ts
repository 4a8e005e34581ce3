import { describe, expect, it } from 'vitest';

import { LossCounter } from '../../../src/media/loss-counter.js';
import { netemCommand } from '../../../src/network/links.js';

const link = { delayMs: 0, jitterMs: 0, lossPct: 0, burstLossPackets: 0, rateKbps: 0 };

describe('netem arguments', () => {
  it('delay with jitter, random or bursty loss, rate', () => {
    expect(netemCommand('gbh1', { ...link, delayMs: 60, jitterMs: 5, lossPct: 5, rateKbps: 800 })).toEqual([
      'qdisc',
      'replace',
      'dev',
      'gbh1',
      'root',
      'netem',
      'delay',
      '60ms',
      '5ms',
      'loss',
      'random',
      '5%',
      'rate',
      '800kbit',
    ]);
    // Gilbert-Elliott: mean burst 4 packets (r = 25%), long-run loss 10% (p = 0.1 * 0.25 / 0.9)
    expect(netemCommand('x', { ...link, lossPct: 10, burstLossPackets: 4 }).slice(6)).toEqual([
      'loss',
      'gemodel',
      '2.7778%',
      '25.0000%',
      '100%',
      '0%',
    ]);
    expect(netemCommand('x', link).slice(6)).toEqual(['delay', '0ms']);
  });
});

describe('LossCounter', () => {
  it('counts sequence gaps on arrival as lost, also when a retransmission fills them later', () => {
    const counter = new LossCounter();
    for (const seq of [65530, 65531, 65533, 65534, 2, 3, 65532]) counter.push(seq); // wraps; 65535, 0, 1 missing; 65532 late
    const { lossPct, repaired } = counter.take();
    // expected 65530..3 = 10 packets, 4 gaps at first sight (65532, 65535, 0, 1)
    expect(lossPct).toBeCloseTo(40);
    expect(repaired).toBe(1);
    expect(counter.take().lossPct).toBeUndefined();
  });
});
