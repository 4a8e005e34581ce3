/**
 * Word error rate of the translation chain's recogniser (`asr_wer_pct`): the harness compares what the SFU's
 * ASR heard with the script of the utterance a publisher played. Pure: no engine needed.
 */

/** Word error rate, percent: word-level edit distance / reference words (case and punctuation ignored). */
export function wordErrorRate(reference: string, hypothesis: string): number {
  const words = (s: string): string[] =>
    s
      .toLowerCase()
      .replace(/[^\p{L}\p{N}'\s]/gu, ' ')
      .split(/\s+/)
      .filter(Boolean);
  const ref = words(reference);
  const hyp = words(hypothesis);
  if (ref.length === 0) return hyp.length === 0 ? 0 : 100;
  let previous = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= hyp.length; j += 1) {
      const substitution = (previous[j - 1] as number) + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1));
    }
    previous = current;
  }
  return ((previous[hyp.length] as number) / ref.length) * 100;
}
