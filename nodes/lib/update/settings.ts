// The edge-ai-model-update node's settings, checked once at deploy: the size cap, where bundles
// are fetched from and how often, the keys trusted (credentials and a file the settings name,
// read again for each bundle so a key can be rotated or revoked by editing that file), the
// rollback policy and what the status topic is called.
import { readFileSync } from 'node:fs';
import { EdgeAiError } from '../errors';
import { expandPath } from '../paths';
import { numberSetting } from '../settings';
import { TrustedKeys } from './keys';
import { NAME_PATTERN } from './manifest';
import type { RollbackPolicy } from './rollback';

export interface UpdateNodeSettings {
  maxMegabytes?: number | string;
  url?: string;
  pollMinutes?: number | string;
  device?: string;
  topic?: string;
  keysFile?: string;
  revoked?: string;
  rollbackMinutes?: number | string;
  rollbackPercent?: number | string;
  rollbackMinRuns?: number | string;
  statusMinutes?: number | string;
}

export interface UpdateConfig {
  maxBytes: number;
  /** Fetched on a schedule when set (http: or https:). */
  url?: URL;
  pollMs: number;
  device: string;
  topic: string;
  /** The status is sent again this often (0: only at deploy and on changes): an mqtt out drops what comes while it is not connected. */
  statusMs: number;
  policy: RollbackPolicy;
  /** The keys trusted now: credentials plus the keys file as it reads at this moment (maybe none). */
  trust(): TrustedKeys;
}


function bundleUrl(raw: string | undefined): URL | undefined {
  const text = raw?.trim();
  if (!text) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  // fetch refuses a user name or password in the URL: say so at deploy.
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    throw new EdgeAiError('badSetting', { name: 'url', expected: 'an http: or https: URL without a user name or password, or empty', received: JSON.stringify(text) });
  }
  return url;
}

/** Key ids separated by commas, spaces or new lines. */
export const keyIdList = (raw: string | undefined): string[] => String(raw ?? '').split(/[\s,]+/).filter(Boolean);

/**
 * `publicKeys`: PEM text from the node's credentials. `model`: the model name (the default
 * topic names it). `hostname`: the default device name.
 */
export function updateConfigFrom(settings: UpdateNodeSettings, publicKeys: string, model: string, hostname: string, baseDir: string): UpdateConfig {
  const device = String(settings.device ?? '').trim() || hostname.replace(/[^A-Za-z0-9._-]/g, '-');
  if (!NAME_PATTERN.test(device)) throw new EdgeAiError('badSetting', { name: 'device', expected: 'a name of letters, digits, ".", "_" or "-" (64 at most)', received: JSON.stringify(device) });
  const topic = String(settings.topic ?? '').trim() || `edge-ai/status/${device}/${model}`;
  if (/[#+\u0000]/.test(topic)) throw new EdgeAiError('badSetting', { name: 'topic', expected: 'an MQTT topic without wildcards', received: JSON.stringify(topic) });
  const keysFile = String(settings.keysFile ?? '').trim() ? expandPath(String(settings.keysFile), baseDir) : undefined;
  const revoked = keyIdList(settings.revoked);
  const trust = (): TrustedKeys => {
    let fileText = '';
    if (keysFile) {
      try {
        fileText = readFileSync(keysFile, 'utf8');
      } catch (err) {
        throw new EdgeAiError('badSetting', { name: 'keys file', expected: 'a readable file of PEM public keys', received: `${keysFile} (${(err as Error).message})` });
      }
    }
    // No key at all is allowed (a flow deployed before its keys): every bundle is then refused, saying so.
    return new TrustedKeys(`${publicKeys}\n${fileText}`, revoked);
  };
  trust(); // keys that do not parse are refused at deploy rather than at the first bundle
  return {
    maxBytes: Math.round(numberSetting('maxMegabytes', settings.maxMegabytes, 200, 0.001, 4096) * 1e6),
    url: bundleUrl(settings.url),
    pollMs: numberSetting('pollMinutes', settings.pollMinutes, 60, 0.05, 10080) * 60000,
    device,
    topic,
    statusMs: numberSetting('statusMinutes', settings.statusMinutes, 15, 0, 1440) * 60000,
    policy: {
      windowMs: numberSetting('rollbackMinutes', settings.rollbackMinutes, 10, 0, 1440) * 60000,
      maxErrorRate: numberSetting('rollbackPercent', settings.rollbackPercent, 20, 0, 100) / 100,
      minRuns: numberSetting('rollbackMinRuns', settings.rollbackMinRuns, 20, 1, 100000, true),
    },
    trust,
  };
}
