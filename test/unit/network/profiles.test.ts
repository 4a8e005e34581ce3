import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { NETWORK_PROFILE_NAMES, NETWORK_PROFILES } from '../../../src/network/profiles.js';
import { projectRoot } from '../../../src/project-paths.js';
import { scenarioFromText } from '../../../src/scenario/validate.js';
import { problemsOf } from '../../fixtures/scenario.js';

const scenarioWith = (network: string, groupNetwork = ''): string => `name: p
duration: 30s
${network ? `network: ${network}\n` : ''}peers:
  - { role: publisher, count: 1 }
  - { role: subscriber, count: 1${groupNetwork ? `, network: ${groupNetwork}` : ''} }
`;

const load = (network: string, groupNetwork = '') => scenarioFromText(scenarioWith(network, groupNetwork), 'x.yaml');

const none = { delayMs: 0, jitterMs: 0, lossPct: 0, burstLossPackets: 0, rateKbps: 0 };

describe('named network profiles', () => {
  it('a block profile sets both directions; satellite keeps its different up and down rates', () => {
    expect(load('{ profile: 4g }').network).toEqual({
      uplink: { delayMs: 45, jitterMs: 10, lossPct: 0.2, burstLossPackets: 0, rateKbps: 0 },
      downlink: { delayMs: 45, jitterMs: 10, lossPct: 0.2, burstLossPackets: 0, rateKbps: 0 },
      schedule: [],
    });
    const satellite = load('{ profile: satellite }').network;
    expect(satellite?.uplink).toEqual({ ...none, delayMs: 600, rateKbps: 256 });
    expect(satellite?.downlink).toEqual({ ...none, delayMs: 600, rateKbps: 1000 });
    expect(load('{ profile: 3g }').network?.downlink).toEqual({
      delayMs: 250,
      jitterMs: 50,
      lossPct: 0.5,
      burstLossPackets: 0,
      rateKbps: 1200,
    });
  });

  it("a link's own profile takes that direction's values; keys beside a profile override it", () => {
    // satellite on the downlink only: its downlink values, the uplink unimpaired
    const down = load('{ downlink: { profile: satellite } }').network;
    expect(down?.downlink).toEqual({ ...none, delayMs: 600, rateKbps: 1000 });
    expect(down?.uplink).toEqual(none);
    // an uplink described with satellite's profile gets satellite's uplink rate
    expect(load('{ uplink: { profile: satellite } }').network?.uplink.rateKbps).toBe(256);
    // keys override the block's profile and the link's own
    const mixed = load(
      '{ profile: 4g, uplink: { loss: 1%, rateKbps: 500 }, downlink: { profile: 3g, delay: 100ms } }',
    ).network;
    expect(mixed?.uplink).toEqual({ delayMs: 45, jitterMs: 10, lossPct: 1, burstLossPackets: 0, rateKbps: 500 });
    expect(mixed?.downlink).toEqual({ delayMs: 100, jitterMs: 50, lossPct: 0.5, burstLossPackets: 0, rateKbps: 1200 });
    // lossy's bursts with its loss overridden to 0: nothing lost, no complaint
    expect(load('{ profile: lossy, downlink: { loss: 0 } }').network?.downlink).toMatchObject({
      lossPct: 0,
      burstLossPackets: 3,
    });
    // a group's own block, with a profile, replaces the scenario's
    const scenario = load('{ profile: 3g }', '{ profile: wifi }');
    expect(scenario.peers[1]?.network?.downlink).toEqual(NETWORK_PROFILES.wifi.downlink);
    expect(scenario.network?.downlink).toEqual(NETWORK_PROFILES['3g'].downlink);
  });

  it('at: steps switch to a profile, change one direction, and keep the rest from the step before', () => {
    const network = load(
      `{ profile: 4g, schedule: [ { at: 5s, profile: 3g }, { at: 10s, downlink: { loss: 20% } }, { at: 15s, uplink: { profile: satellite } }, { at: 20s, profile: satellite, downlink: { rateKbps: 2000 } } ] }`,
    ).network;
    const [toThree, outage, satelliteUp, satelliteFast] = network?.schedule ?? [];
    expect(toThree).toEqual({
      atMs: 5000,
      uplink: NETWORK_PROFILES['3g'].uplink,
      downlink: NETWORK_PROFILES['3g'].downlink,
    });
    // a direction the step describes starts from the block's profile (4g), not from the step before
    expect(outage?.downlink).toEqual({ ...NETWORK_PROFILES['4g'].downlink, lossPct: 20 });
    // the direction it leaves out keeps the step before's (3g), not the block's first settings
    expect(outage?.uplink).toEqual(NETWORK_PROFILES['3g'].uplink);
    expect(satelliteUp?.uplink).toEqual(NETWORK_PROFILES.satellite.uplink);
    expect(satelliteUp?.downlink).toEqual(outage?.downlink);
    expect(satelliteFast).toEqual({
      atMs: 20_000,
      uplink: NETWORK_PROFILES.satellite.uplink,
      downlink: { ...NETWORK_PROFILES.satellite.downlink, rateKbps: 2000 },
    });
    // without any profile, a step's direction is described from nothing, as before
    expect(
      load('{ uplink: { delay: 40ms }, schedule: [ { at: 1s, uplink: { loss: 5% } } ] }').network?.schedule,
    ).toEqual([{ atMs: 1000, uplink: { ...none, lossPct: 5 }, downlink: none }]);
  });

  it('an unknown name is located and the known names are listed, in a block, a link and a step', () => {
    const known = NETWORK_PROFILE_NAMES.map((n) => `"${n}"`).join(', ');
    expect(
      problemsOf(
        scenarioWith('{ profile: 5g, downlink: { profile: LTE }, schedule: [ { at: 2s, profile: dialup } ] }'),
      ),
    ).toEqual([
      `x.yaml:3:21 network.profile: must be one of ${known}, got "5g"`,
      `x.yaml:3:46 network.downlink.profile: must be one of ${known}, got "LTE"`,
      `x.yaml:3:84 network.schedule[0].profile: must be one of ${known}, got "dialup"`,
    ]);
    expect(problemsOf(scenarioWith('', '{ uplink: { profile: 4G } }'))).toEqual([
      `x.yaml:5:65 peers[1].network.uplink.profile: must be one of ${known}, got "4G"`,
    ]);
  });

  it("an override that leaves the profile's jitter above the delay is located at the key given", () => {
    expect(problemsOf(scenarioWith('{ profile: 3g, downlink: { delay: 20ms } }'))).toEqual([
      "x.yaml:3:44 network.downlink.delay: must not be less than the profile's jitter (50 ms): a packet cannot arrive before it was sent; give jitter too",
    ]);
    expect(problemsOf(scenarioWith('{ uplink: { profile: 4g, jitter: 60ms } }'))).toEqual([
      'x.yaml:3:43 network.uplink.jitter: must not exceed delay (45 ms): a packet cannot arrive before it was sent',
    ]);
    expect(load('{ profile: 3g, downlink: { delay: 20ms, jitter: 5ms } }').network?.downlink).toMatchObject({
      delayMs: 20,
      jitterMs: 5,
    });
  });

  it('docs/networks.md lists every profile with the values the table holds', () => {
    const docs = readFileSync(`${projectRoot()}/docs/networks.md`, 'utf8');
    type Link = (typeof NETWORK_PROFILES)['4g']['uplink'];
    // one value when both directions have it, else "X up / Y down"
    const pair = (up: Link, down: Link, show: (l: Link) => string): string =>
      show(up) === show(down) ? show(up) : `${show(up)} up / ${show(down)} down`;
    for (const name of NETWORK_PROFILE_NAMES) {
      const { uplink, downlink } = NETWORK_PROFILES[name];
      const row = [
        `\`${name}\``,
        pair(uplink, downlink, (l) => `${l.delayMs} ms`),
        pair(uplink, downlink, (l) => (l.jitterMs > 0 ? `+/- ${l.jitterMs} ms` : '-')),
        pair(uplink, downlink, (l) =>
          l.lossPct > 0 ? `${l.lossPct}%${l.burstLossPackets > 1 ? ` (bursts of ${l.burstLossPackets})` : ''}` : '-',
        ),
        pair(uplink, downlink, (l) => (l.rateKbps > 0 ? `${l.rateKbps} kbps` : '-')),
      ];
      expect(docs).toContain(`| ${row.join(' | ')} |`);
    }
  });

  it("docs/networks.md's example loads and resolves as its comments say", () => {
    const docs = readFileSync(`${projectRoot()}/docs/networks.md`, 'utf8');
    const example = /```yaml\n(network:\n {2}profile: 4g[\s\S]*?)```/.exec(docs)?.[1];
    expect(example).toBeDefined();
    const network = scenarioFromText(
      `name: d\nduration: 40s\n${example ?? ''}peers:\n  - { role: publisher, count: 1 }\n`,
      'x.yaml',
    ).network;
    const { '4g': fourG, '3g': threeG, satellite } = NETWORK_PROFILES;
    expect(network?.uplink).toEqual({ ...fourG.uplink, rateKbps: 800 });
    expect(network?.downlink).toEqual({ ...threeG.downlink, delayMs: 100 });
    expect(network?.schedule).toEqual([
      { atMs: 10_000, uplink: satellite.uplink, downlink: satellite.downlink },
      { atMs: 20_000, uplink: satellite.uplink, downlink: { ...fourG.downlink, lossPct: 20 } },
      { atMs: 30_000, uplink: satellite.uplink, downlink: fourG.downlink },
    ]);
  });
});
