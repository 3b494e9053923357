// Class labels from a labels file (one per line) or from Ultralytics' `names` metadata.
import { MAX_LABELS_BYTES } from '../types';

/** Most classes a model may have: a metadata index beyond it is not believed (it would size the list). */
const MAX_CLASSES = 100000;

/** One label per line; trailing blank lines dropped, inner blank lines kept so indices hold. */
export function parseLabelLines(text: string): string[] {
  if (text.length > MAX_LABELS_BYTES) throw new Error(`${text.length} characters, more than the ${MAX_LABELS_BYTES / 2 ** 20} MB a labels file may hold`);
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map((line) => line.trim());
  if (lines.length > MAX_CLASSES) throw new Error(`${lines.length} lines, more than the ${MAX_CLASSES} classes a model may have`);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Ultralytics writes `names` as a Python dict literal: `{0: 'person', 1: 'bicycle', ...}`.
 * Returns undefined when the text is not of that form, or names a class index no model has
 * (metadata comes with the file, so a huge index must not make a huge list).
 */
export function parseUltralyticsNames(text: string): string[] | undefined {
  const named = new Map<number, string>();
  const entry = /(\d+)\s*:\s*(['"])((?:\\.|(?!\2).)*)\2/g;
  for (let match = entry.exec(text); match; match = entry.exec(text)) {
    const index = Number(match[1]);
    if (!(index < MAX_CLASSES)) return undefined;
    named.set(index, match[3].replace(/\\(.)/g, '$1'));
  }
  if (!named.size) return undefined;
  let count = 0;
  for (const index of named.keys()) count = Math.max(count, index + 1);
  return Array.from({ length: count }, (_, index) => named.get(index) ?? `class ${index}`);
}
