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
 * The variables a request's path may use: the folders this package's examples and dialogs name
 * (`${EDGE_AI_MODELS}/…`). No other variable is expanded from a request, so a request cannot
 * read the environment (a token, a password) through what a route answers.
 */
export const REQUEST_PATH_VARIABLES: readonly string[] = ['EDGE_AI_MODELS', 'EDGE_AI_MEDIA'];

/**
 * A path that came in a request (an admin route's query or body): ~ and relative paths resolved
 * as expandPath does, `${NAME}` only for REQUEST_PATH_VARIABLES. A route must answer with the
 * path as asked, never the expanded one. A deployed node's other variables are expanded by the
 * runtime instead (the admin routes take that node's id).
 */
export function requestPath(asked: string, name: string, baseDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const named = [...asked.matchAll(/\$\{([^}]*)\}?/g)].map((m) => m[1]);
  const other = named.find((variable) => !REQUEST_PATH_VARIABLES.includes(variable));
  if (other !== undefined || (asked.includes('${') && !named.length)) {
    throw new EdgeAiError('badSetting', {
      name, expected: `a path with no \${…} but ${REQUEST_PATH_VARIABLES.map((v) => `\${${v}}`).join(' or ')} (a request does not expand environment variables: deploy, and the node's own paths are used)`,
      received: JSON.stringify(asked),
    });
  }
  const allowed = Object.fromEntries(REQUEST_PATH_VARIABLES.filter((v) => env[v] !== undefined).map((v) => [v, env[v]]));
  return expandPath(asked, baseDir, allowed);
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
