import { distance } from 'fastest-levenshtein';

/**
 * The candidate nearest to `input`, when it is near enough to be a likely typo: at most a third of the input's
 * length (rounded up) in edits, at most 3. Ties go to the earlier candidate, so callers order candidates by
 * preference. Case differences count as one edit in total, not one per letter.
 */
export function suggest(input: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.ceil(input.length / 3)));
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === input) return candidate;
    const caseOnly = candidate.toLowerCase() === lower;
    const d = caseOnly ? 1 : distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
