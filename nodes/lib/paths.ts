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
