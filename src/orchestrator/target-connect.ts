/**
 * Preflight's side of the target: starts the built-in reference SFU (and reads its telemetry), or learns the
 * clock of a Janus or external target (and, where that target is a glassbench SFU on another host, its
 * telemetry). Sets the run's `sfu` and `clock`; returns the telemetry stream to close at the end, if any.
 * At the end, `disconnectTarget` closes them again.
 */
import type { TrendSummary } from '../metrics/histogram.js';
import { ClockSync } from './clock-sync.js';
import { connectRemoteSfu, externalClock } from './remote-sfu.js';
import type { RunContext } from './run-context.js';
import { startReferenceSfu } from './sfu-process.js';
import { fetchForwardStats } from './sfu-telemetry.js';
import { connectTelemetry, type TelemetryClient } from './telemetry-client.js';

export async function connectTarget(ctx: RunContext): Promise<TelemetryClient | undefined> {
  const { scenario, emit } = ctx;
  if (scenario.target.type === 'reference') {
    const { sfu } = scenario;
    const alsoListenOn = ctx.network?.list.map((l) => l.hostAddress) ?? [];
    ctx.sfu = await startReferenceSfu(
      {
        workers: sfu.workers,
        subscribersPerWorker: sfu.subscribersPerWorker,
        addDelayMs: sfu.addDelayMs,
        ...(sfu.addAudioDelayMs ? { addAudioDelayMs: sfu.addAudioDelayMs } : {}),
        burnCpuMsPerFrame: sfu.burnCpuMsPerFrame,
        ...(sfu.rewriteRtp ? { rewriteRtp: true } : {}),
        ...(scenario.ai.placement === 'cloud' ? { ai: scenario.ai } : {}),
        ...(alsoListenOn.length > 0 ? { alsoListenOn } : {}),
      },
      (code, signal) => {
        if (ctx.closing) return;
        const what = `the reference SFU exited unexpectedly (${signal ? `killed by ${signal}` : `code ${code}`})`;
        emit({ type: 'warning', message: what });
        ctx.faults.setFatal(what);
        ctx.faults.record(what, ctx.peers.joinedPeers(), true);
      },
    );
    // one clock for the shard and its SFU: their times subtract as they are
    ctx.clock = ClockSync.sameHost();
    return connectTelemetry(ctx.sfu.baseUrl, {}, (record) => ctx.telemetry.onRecord(record));
  }
  if (scenario.target.type === 'janus') {
    // Janus has no telemetry: only the clock of a time host the scenario names can be known
    ctx.clock = await externalClock(scenario, undefined);
    ctx.clock.start();
    ctx.notes.push(
      "Janus target: the SFU's own stamps are unknown, so uplink_ms, sfu_ms and downlink_ms are not reported",
    );
    return undefined;
  }
  emit({ type: 'phase', phase: 'starting', message: "estimating the clock offset to the SFU's host" });
  const tags = new Set(ctx.plan.flatMap((p) => (p.publisherTag === undefined ? [] : [p.publisherTag])));
  const remote = await connectRemoteSfu(
    scenario,
    scenario.target,
    tags,
    (record) => ctx.telemetry.onRecord(record),
    ctx.notes,
    {
      ...(ctx.peerNetwork.caFile ? { caFile: ctx.peerNetwork.caFile } : {}),
      onGap: (what, cost) => ctx.faults.record(what, [], false, cost),
    },
  );
  ctx.clock = remote.clock;
  return remote.telemetry;
}

/**
 * Closes the telemetry stream (noting the lines it refused) and the clock, reads the built-in SFU's per-packet
 * fan-out time and stops it. Returns that fan-out time (null: not read).
 */
export async function disconnectTarget(
  ctx: RunContext,
  telemetry: TelemetryClient | undefined,
): Promise<TrendSummary | null> {
  telemetry?.close();
  const refused = telemetry?.badLines ?? 0;
  if (refused > 0)
    ctx.notes.push(`${refused} SFU telemetry line(s) refused; the first: ${telemetry?.firstBadLine ?? ''}`);
  ctx.clock?.stop();
  const forwardMs = ctx.sfu && !ctx.sfu.exited ? await fetchForwardStats(ctx.sfu.baseUrl) : null;
  await ctx.sfu?.stop();
  return forwardMs;
}
