/**
 * The silence watch on a connected peer's connection (src/peers/liveness.ts), driven by explicit check times:
 * what counts as hearing from the target, when silence is a lost connection, and what a stalled process is not.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { nowMs } from '../../../src/metrics/clock.js';
import { SampledCounter, SilenceWatch } from '../../../src/peers/liveness.js';

const watches: SilenceWatch[] = [];
afterEach(() => {
  for (const w of watches.splice(0)) w.stop();
});

function make(probe: () => boolean | undefined, silenceMs = 4000) {
  const lost: { message: string; lastHeardMs: number }[] = [];
  const watch = new SilenceWatch('http://10.0.0.1:8080', silenceMs, (l) => lost.push(l), probe);
  watches.push(watch);
  return { watch, lost, t0: nowMs() };
}

describe('SilenceWatch', () => {
  it('is lost once nothing has arrived for silenceTimeout, once, naming the target and the last time it heard', () => {
    let arriving = true;
    const { watch, lost, t0 } = make(() => arriving);
    for (let s = 1; s <= 3; s += 1) watch.check(t0 + s * 1000);
    arriving = false;
    for (let s = 4; s <= 5; s += 1) watch.check(t0 + s * 1000);
    expect(lost).toEqual([]);
    // what the check at 3 s counted arrived after the check at 2 s: the silence is counted from there
    watch.check(t0 + 6000);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.message).toBe(
      'nothing arrived from http://10.0.0.1:8080 for 4 s (silenceTimeout 4 s): the media connection is lost',
    );
    expect(lost[0]?.lastHeardMs).toBe(t0 + 2000);
    watch.check(t0 + 8000);
    watch.state('failed');
    expect(lost).toHaveLength(1);
  });

  it('is not lost when packets keep arriving, however long', () => {
    const { watch, lost, t0 } = make(() => true);
    for (let s = 1; s <= 30; s += 1) watch.check(t0 + s * 1000);
    expect(lost).toEqual([]);
  });

  it('a silence shorter than the timeout, then packets again, is not lost (a link down for 3 s)', () => {
    let arriving = true;
    const { watch, lost, t0 } = make(() => arriving, 5000);
    for (let s = 1; s <= 20; s += 1) {
      arriving = s < 5 || s > 7;
      watch.check(t0 + s * 1000);
    }
    expect(lost).toEqual([]);
  });

  it('a failed connection is lost at once', () => {
    const { watch, lost } = make(() => true);
    watch.state('connected');
    watch.state('failed');
    expect(lost.map((l) => l.message)).toEqual(['the media connection to http://10.0.0.1:8080 failed']);
  });

  it('a check that comes seconds late (this process stalled) starts afresh instead of judging', () => {
    const { watch, lost, t0 } = make(() => false);
    watch.check(t0 + 1000);
    // the event loop was blocked for 9 s: nothing was read, whatever had arrived
    watch.check(t0 + 10_000);
    expect(lost).toEqual([]);
    for (let s = 11; s <= 13; s += 1) watch.check(t0 + s * 1000);
    expect(lost).toEqual([]);
    watch.check(t0 + 14_000);
    expect(lost[0]?.lastHeardMs).toBe(t0 + 10_000);
    expect(lost).toHaveLength(1);
  });

  it('where packets cannot be counted, disconnected for the timeout is lost and a reconnect clears it', () => {
    const { watch, lost, t0 } = make(() => undefined);
    watch.state('disconnected', t0 + 1000);
    watch.check(t0 + 2000);
    watch.state('connected', t0 + 2500);
    for (let s = 3; s <= 9; s += 1) watch.check(t0 + s * 1000);
    expect(lost).toEqual([]);
    watch.state('disconnected', t0 + 9500);
    for (let s = 10; s <= 13; s += 1) watch.check(t0 + s * 1000);
    expect(lost).toEqual([]);
    watch.check(t0 + 14_000);
    expect(lost.map((l) => l.message)).toEqual([
      'the media connection to http://10.0.0.1:8080 was disconnected for 5 s (silenceTimeout 4 s): it is lost',
    ]);
  });

  it('stopped (the peer closes the connection itself), it reports nothing', () => {
    const { watch, lost, t0 } = make(() => false);
    watch.stop();
    watch.check(t0 + 10_000);
    watch.state('failed');
    expect(lost).toEqual([]);
  });
});

describe("SampledCounter (a browser page's count)", () => {
  it('says whether the count grew since the last probe, once per new sample', () => {
    const c = new SampledCounter();
    expect(c.probe(0)).toBeUndefined(); // nothing sampled yet
    c.update({ count: 10, atMs: 100 }, 100);
    expect(c.probe(200)).toBe(true);
    expect(c.probe(300)).toBe(false); // the growth was reported
    c.update({ count: 10, atMs: 1100 }, 1100);
    expect(c.probe(1200)).toBe(false);
    c.update({ count: 12, atMs: 2100 }, 2100);
    c.update({ count: 12, atMs: 2100 }, 2300); // the same sample polled again
    expect(c.probe(2400)).toBe(true);
  });

  it('cannot tell while the page sends no new sample: a stalled page is not a silent target', () => {
    const t0 = nowMs();
    const c = new SampledCounter();
    c.update({ count: 10, atMs: 100 }, t0 + 100);
    expect(c.probe(t0 + 2000)).toBe(true);
    c.update({ count: 10, atMs: 100 }, t0 + 2500); // polled, but the page sampled nothing new
    expect(c.probe(t0 + 2600)).toBe(false);
    expect(c.probe(t0 + 4000)).toBeUndefined();
    // with a stalled probe the watch starts its silence afresh instead of counting it
    let t = t0;
    const { watch, lost } = make(() => c.probe(t), 3000);
    for (t = t0 + 5000; t <= t0 + 12_000; t += 1000) watch.check(t);
    expect(lost).toEqual([]);
  });
});
