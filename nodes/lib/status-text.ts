// Node status lines: one short line under a node, so the part that says what to fix comes first
// and a long path gives up its middle, not the file name at its end.
import * as path from 'node:path';
import type { ErrorParams } from './errors';

/** Longest status text shown; Node-RED draws it on one line under the node. */
export const STATUS_MAX_LENGTH = 64;
const ELLIPSIS = '…';
/** A shortened path keeps at least this many characters, or the text is cut at its end instead. */
const MIN_PATH_KEPT = 16;

/** An error's parameters for its status text: its own, plus __file__ and __dir__ from __path__. */
export function statusParams(params: ErrorParams): ErrorParams {
  const file = typeof params.path === 'string' ? params.path : undefined;
  return file ? { file: path.basename(file), dir: path.dirname(file), ...params } : params;
}

/** `text` in at most `max` characters: the longest path loses its middle, or else the text its end. */
export function fitStatus(text: string, max = STATUS_MAX_LENGTH): string {
  if (text.length <= max) return text;
  const excess = text.length - max + ELLIPSIS.length;
  const paths = text.match(/\S*[/\\]\S*/g) ?? [];
  const longest = paths.reduce((a, b) => (b.length > a.length ? b : a), '');
  const kept = longest.length - excess;
  if (kept >= MIN_PATH_KEPT) {
    const tail = Math.ceil(kept / 2);
    return text.replace(longest, longest.slice(0, kept - tail) + ELLIPSIS + longest.slice(longest.length - tail));
  }
  return text.slice(0, max - ELLIPSIS.length) + ELLIPSIS;
}
