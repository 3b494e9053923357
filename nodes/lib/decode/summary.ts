// What a decoded result holds, in a few words for the infer node's status: how many of each
// label were found (most frequent first), or the best class with its score.

export interface LabelCount {
  label: string;
  count: number;
}

/** Labels by how often they occur (ties in order of first appearance), at most `max` of them. */
export function countLabels(results: ReadonlyArray<{ label: string }>, max = 2): { counts: LabelCount[]; more: number } {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  const sorted = [...counts].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count);
  return { counts: sorted.slice(0, max), more: Math.max(0, sorted.length - max) };
}

/** A label for a status line: the first of an ImageNet-style list of names ("fox squirrel, eastern fox squirrel, …"). */
export function shortLabel(label: string): string {
  return label.split(', ')[0];
}
