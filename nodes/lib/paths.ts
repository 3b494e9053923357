// Paths from node settings: ${VAR} parts from the environment, ~ and relative paths resolved,
// and names checked to stay inside a folder (no .., no absolute paths, no links out).
import { realpath } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { EdgeAiError } from './errors';

/**
 * Resolve a user-typed path: `${NAME}` parts come from the environment (Node-RED only
 * substitutes whole-value `${NAME}`), `~` is the home folder, relative paths start at baseDir.
 */
export function expandPath(template: string, baseDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const expanded = template.trim().replace(/\$\{(\w+)\}/g, (_whole, name: string) => {
    const value = env[name];
    if (value === undefined || value === '') throw new EdgeAiError('envVarUnset', { path: template, name });
    return value;
  });
  const homed = expanded === '~' || expanded.startsWith('~/') ? path.join(os.homedir(), expanded.slice(1)) : expanded;
  return path.resolve(baseDir, homed);
}

/**
 * A path that came in a request (an admin route's query or body): ~ and relative paths resolved
 * as expandPath does, but never `${NAME}`, so that a request cannot read the environment through
 * an error message naming the expanded path. A deployed node's settings are expanded by the
 * runtime instead (the admin routes take that node's id).
 */
export function requestPath(asked: string, name: string, baseDir: string): string {
  if (asked.includes('${')) {
    throw new EdgeAiError('badSetting', { name, expected: 'a path without ${…} (a request does not expand environment variables: deploy, and the node\'s own paths are used)', received: JSON.stringify(asked) });
  }
  return expandPath(asked, baseDir, {});
}

/** Why a name does not lead to a file inside a folder. */
export type OutsideFolder = 'empty' | 'absolute' | 'climbs' | 'missing' | 'linkOut';

/**
 * A relative `name` inside `folder`, with links followed: its real path, or why it is not in
 * the folder (absolute, climbing with .., missing, a link leading out). The folder itself does
 * not count as inside.
 */
export async function resolveInside(folder: string, name: string): Promise<{ real: string } | { outside: OutsideFolder }> {
  if (!name || name.includes('\0')) return { outside: 'empty' };
  if (path.isAbsolute(name) || /^[a-z]:[\\/]/i.test(name)) return { outside: 'absolute' };
  if (name.split(/[\\/]/).includes('..')) return { outside: 'climbs' };
  const root = await realpath(folder);
  let real: string;
  try {
    real = await realpath(path.join(root, name));
  } catch {
    return { outside: 'missing' };
  }
  return real.startsWith(root + path.sep) ? { real } : { outside: 'linkOut' };
}
