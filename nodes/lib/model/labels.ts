// Class labels from a labels file (one per line) or from Ultralytics' `names` metadata.
/** One label per line; trailing blank lines dropped, inner blank lines kept so indices hold. */
export function parseLabelLines(text: string): string[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map((line) => line.trim());
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Ultralytics writes `names` as a Python dict literal: `{0: 'person', 1: 'bicycle', ...}`.
 * Returns undefined when the text is not of that form.
 */
export function parseUltralyticsNames(text: string): string[] | undefined {
  const labels: string[] = [];
  const entry = /(\d+)\s*:\s*(['"])((?:\\.|(?!\2).)*)\2/g;
  for (let match = entry.exec(text); match; match = entry.exec(text)) {
    labels[Number(match[1])] = match[3].replace(/\\(.)/g, '$1');
  }
  if (!labels.length) return undefined;
  return Array.from(labels, (label, index) => label ?? `class ${index}`);
}
