// Classifier outputs made into results: probabilities (softmax when they are logits) and the
// top k classes with their labels.
import type { Classification } from './results';

export function labelFor(labels: readonly string[] | undefined, classId: number): string {
  return labels?.[classId] ?? `class ${classId}`;
}

/** Softmax when the values look like logits (any value outside 0..1); probabilities pass through. */
export function toProbabilities(values: Float32Array): Float32Array {
  let max = -Infinity;
  let outside = false;
  for (const v of values) {
    if (v > max) max = v;
    if (v < 0 || v > 1) outside = true;
  }
  if (!outside) return values;
  const out = new Float32Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += out[i] = Math.exp(values[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** The k best classes with score >= minScore, best first. */
export function topK(scores: ArrayLike<number>, k: number, minScore: number, labels?: readonly string[]): Classification[] {
  const best: Classification[] = [];
  for (let classId = 0; classId < scores.length; classId++) {
    const score = scores[classId];
    if (score < minScore || (best.length === k && score <= best[k - 1].score)) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].score < score) at--;
    best.splice(at, 0, { label: '', classId, score });
    if (best.length > k) best.pop();
  }
  for (const entry of best) entry.label = labelFor(labels, entry.classId);
  return best;
}
