// A node's settings checked once, at deploy: strings from the editor coerced with named
// defaults, and anything out of range refused with an error that says what was expected.
import { EdgeAiError } from './errors';

/** A number from the node's settings, or its default when unset; anything else out of range is refused. */
export function numberSetting(name: string, raw: unknown, fallback: number, min: number, max: number, integer = false): number {
  const value = raw === undefined || raw === null || raw === '' ? fallback : Number(raw);
  const ok = Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    throw new EdgeAiError('badSetting', { name, expected: `${kind} from ${min} to ${max}`, received: JSON.stringify(raw) });
  }
  return value;
}

/** One of `allowed`, or `fallback` when unset. */
export function choiceSetting<T extends string>(name: string, raw: unknown, fallback: T, allowed: readonly T[]): T {
  const value = raw === undefined || raw === null || raw === '' ? fallback : raw;
  if (!allowed.includes(value as T)) {
    throw new EdgeAiError('badSetting', { name, expected: `one of ${allowed.join(', ')}`, received: JSON.stringify(raw) });
  }
  return value as T;
}
