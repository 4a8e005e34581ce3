/**
 * Which of the translation chain's engines this machine has (Debian packages run as child processes by the
 * reference SFU, reference-server/ai/speech/engines.ts). A machine fact like its GPUs: the harness checks it
 * before it starts the SFU, so a run fails at once with the packages to install instead of on the first
 * utterance; the SFU runs the engines from these paths.
 */
import { existsSync } from 'node:fs';

/** the batch decoder: one process serves a publisher's utterances, read from FIFOs (reference-server/ai/speech/recogniser.ts) */
export const POCKETSPHINX = '/usr/bin/pocketsphinx_batch';
export const APERTIUM = '/usr/bin/apertium';
export const ESPEAK = '/usr/bin/espeak-ng';

/** Engines that are not installed, each with the Debian package that brings it. */
export function missingSpeechEngines(): string[] {
  const missing: string[] = [];
  if (!existsSync(POCKETSPHINX) || !existsSync('/usr/share/pocketsphinx/model/en-us/en-us'))
    missing.push('pocketsphinx pocketsphinx-en-us');
  if (!existsSync(APERTIUM) || !existsSync('/usr/share/apertium/apertium-eng-spa'))
    missing.push('apertium apertium-eng-spa');
  if (!existsSync(ESPEAK)) missing.push('espeak-ng');
  return missing;
}
