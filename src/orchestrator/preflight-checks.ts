/**
 * What a run checks before it starts anything: the GPUs and speech engines the scenario asks for are there,
 * and this shard has rooms. Each failure says what to do instead.
 */
import { GlassbenchError } from '../errors.js';
import { discoverGpus } from '../metrics/gpus.js';
import { missingSpeechEngines } from '../metrics/speech-engines.js';
import type { Scenario } from '../scenario/types.js';

export async function checkRequirements(
  scenario: Scenario,
  plannedPeers: number,
  shard: { index: number; count: number } | undefined,
): Promise<void> {
  if (scenario.ai.placement === 'cloud' && scenario.ai.gpus) {
    const gpus = await discoverGpus().catch((error: unknown) => {
      throw new GlassbenchError(
        'RUN_FAILED',
        `ai.devices: gpus: ${(error as Error).message}; this machine has no usable NVIDIA GPU (use simulated devices instead)`,
      );
    });
    if (gpus.length === 0) throw new GlassbenchError('RUN_FAILED', 'ai.devices: gpus: nvidia-smi lists no GPU');
  }
  const speech = scenario.ai.placement === 'cloud' ? scenario.ai.speech : undefined;
  if (
    speech &&
    (speech.asr.engine !== 'synthetic' || speech.mt.engine !== 'synthetic' || speech.tts.engine !== 'synthetic')
  ) {
    const missing = missingSpeechEngines();
    if (missing.length > 0)
      throw new GlassbenchError(
        'RUN_FAILED',
        `the translation chain's engines are not installed: apt-get install -y ${missing.join(' ')} (or use synthetic engines in ai.speech)`,
      );
  }
  if (plannedPeers === 0)
    throw new GlassbenchError(
      'RUN_FAILED',
      `shard ${shard?.index}/${shard?.count} has no rooms: the scenario has ${scenario.rooms} (shards take whole rooms)`,
    );
}
