import { describe, expect, it } from 'vitest';

import { TypedEmitter } from '../../../src/peers/events.js';

interface TestEvents {
  frame: { seq: number };
  error: string;
}

/** An emitter that emits on demand, the way a peer does from inside itself. */
class Probe extends TypedEmitter<TestEvents> {
  fire<K extends keyof TestEvents>(event: K, payload: TestEvents[K]): void {
    this.emit(event, payload);
  }
}

describe("TypedEmitter (the peers' events)", () => {
  it('hands each payload to every listener of its event, in the order they were added', () => {
    const probe = new Probe();
    const heard: string[] = [];
    probe.on('frame', (f) => heard.push(`a${f.seq}`)).on('frame', (f) => heard.push(`b${f.seq}`));
    probe.on('error', (message) => heard.push(`error ${message}`));

    probe.fire('frame', { seq: 1 });
    probe.fire('error', 'page threw');

    expect(heard).toEqual(['a1', 'b1', 'error page threw']);
  });

  it('does not throw on an error nobody listens to (a peer survives its errors)', () => {
    expect(() => new Probe().fire('error', 'stats read failed')).not.toThrow();
  });

  it('stops calling a listener once it is removed', () => {
    const probe = new Probe();
    const heard: number[] = [];
    const listener = (f: { seq: number }): void => void heard.push(f.seq);
    probe.on('frame', listener);
    probe.fire('frame', { seq: 1 });

    probe.off('frame', listener);
    probe.fire('frame', { seq: 2 });

    expect(heard).toEqual([1]);
  });
});
