/**
 * What a subscriber scores its pictures against (docs/outputs.md): glassbench's pattern regenerated from the
 * frame number, passed through the same filter as the room's AI when the AI's output is what the subscriber
 * receives (cloud, inline, real video with a filter), so video_psnr_db there is the fidelity of what the AI
 * returns. A `noise` filter's reference is the unfiltered pattern (luma-filter.ts).
 */
import { referenceFilter } from '../media/luma-filter.js';
import { isRealVideo, type LumaFilter } from '../protocol/ai.js';
import type { SubscriberQuality } from '../protocol/runner-ipc.js';
import type { Scenario } from '../scenario/types.js';
import type { PlannedPeer } from './plan.js';

export function roomFilter(scenario: Scenario): LumaFilter {
  const { ai } = scenario;
  if (ai.placement !== 'cloud' || ai.mode !== 'inline' || !isRealVideo(ai)) return 'copy';
  for (const stage of ai.stages) if ('filter' in stage.model) return referenceFilter(stage.model.filter);
  return 'copy';
}

export function subscriberQuality(scenario: Scenario, peer: PlannedPeer): SubscriberQuality {
  const quality: SubscriberQuality = { filter: roomFilter(scenario) };
  if (peer.quality) quality.sampleEvery = peer.quality.sampleEvery;
  return quality;
}
