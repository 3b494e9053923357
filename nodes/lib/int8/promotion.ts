// Which model a model node serves when it names an fp32 model and an int8 candidate: the int8
// one only when a shadow check report sits beside it, was made on exactly these two files (by
// SHA-256), and passes the node's own thresholds; the fp32 one otherwise, with the reason.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { numberSetting } from '../settings';
import type { ModelConfig } from '../model';
import { judge, shadowReportPath, type ShadowReport, type ShadowThresholds } from './shadow';

export interface PromotionSettings {
  int8Candidate?: string;
  /** Percent. */
  promoteAgreement?: number | string;
  promoteAdded?: number | string;
  promoteSpeedup?: number | string;
  /** The held-out images the dialog's Check uses (the check itself runs on the command line). */
  checkImages?: string;
}

export interface Promotion {
  served: 'int8' | 'fp32';
  candidate: string;
  /** One line for the log and the health report. */
  reason: string;
  report?: ShadowReport;
}

/** The node's thresholds, checked once at deploy. */
export function promotionThresholds(settings: PromotionSettings): ShadowThresholds {
  return {
    minAgreement: numberSetting('promoteAgreement', settings.promoteAgreement, 95, 0, 100) / 100,
    maxAdded: numberSetting('promoteAdded', settings.promoteAdded, 5, 0, 100) / 100,
    minSpeedup: numberSetting('promoteSpeedup', settings.promoteSpeedup, 1.2, 0, 100),
  };
}

const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');

/** A report read from disk is data from outside: every field judge() reads is checked. */
function readReport(text: string): ShadowReport {
  const report = JSON.parse(text) as ShadowReport;
  if (!report || report.version !== 1) throw new Error('it is not a shadow check report of version 1');
  // '?': may be absent (detectors have no stableRate, classifiers no addedRate).
  const fields: Array<[string, unknown, 'hash' | 'number' | 'number?' | 'share' | 'share?']> = [
    ['fp32.sha256', report.fp32?.sha256, 'hash'], ['int8.sha256', report.int8?.sha256, 'hash'], ['images', report.images, 'number'],
    ['speedup', report.speedup, 'number'], ['sizeRatio', report.sizeRatio, 'number'], ['agreement.rate', report.agreement?.rate, 'share'],
    ['agreement.addedRate', report.agreement?.addedRate, 'share?'], ['agreement.stableRate', report.agreement?.stableRate, 'share?'],
    ['agreement.stable', report.agreement?.stable, 'number?'],
  ];
  for (const [name, value, kind] of fields) {
    if (kind.endsWith('?') && value === undefined) continue;
    const share = kind.startsWith('share');
    const ok = kind === 'hash' ? typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)
      : typeof value === 'number' && Number.isFinite(value) && value >= 0 && (!share || value <= 1);
    if (!ok) throw new Error(`${name} must be ${kind === 'hash' ? 'a SHA-256 in hex' : share ? 'a number from 0 to 1' : 'a number'} but is ${JSON.stringify(value)}`);
  }
  if (!['classification', 'detection', 'raw'].includes(report.agreement.kind)) throw new Error(`agreement.kind must be classification, detection or raw but is ${JSON.stringify(report.agreement.kind)}`);
  return report;
}

/**
 * Decide between `config` (the fp32 model) and `candidate`. Serving int8 pins its SHA-256 to
 * the checked bytes, so a candidate replaced after its check is refused at load.
 */
export async function choosePromotion(config: ModelConfig, candidate: string, thresholds: ShadowThresholds): Promise<{ config: ModelConfig; promotion: Promotion }> {
  const fallback = (reason: string, report?: ShadowReport): { config: ModelConfig; promotion: Promotion } => ({ config, promotion: { served: 'fp32', candidate, reason, report } });
  const reportFile = shadowReportPath(candidate);
  let report: ShadowReport;
  try {
    report = readReport(await readFile(reportFile, 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return fallback(missing
      ? `the int8 candidate has no check report (${reportFile}): run npx edge-ai-model check in the Node-RED user directory, or Check in the model dialog`
      : `the check report ${reportFile} cannot be used: ${(err as Error).message}`);
  }
  const [fp32Hash, int8Hash] = await Promise.all([sha256(config.path), sha256(candidate).catch(() => '')]);
  if (!int8Hash) return fallback(`the int8 candidate ${candidate} cannot be read`, report);
  if (config.sha256 && config.sha256.toLowerCase() !== fp32Hash) return fallback('the fp32 model does not match its pinned SHA-256', report);
  if (report.fp32.sha256 !== fp32Hash || report.int8.sha256 !== int8Hash) {
    return fallback('the check report was made on other files than these (SHA-256 differs): check them again', report);
  }
  const verdict = judge(report, thresholds);
  if (!verdict.passed) return fallback(`the int8 candidate failed its check: ${verdict.failures.join('; ')}`, report);
  return { config: { ...config, path: candidate, sha256: int8Hash }, promotion: { served: 'int8', candidate, reason: `the int8 candidate passed its check: ${verdict.summary}`, report } };
}
