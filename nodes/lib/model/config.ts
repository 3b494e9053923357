// The model node's settings made into a model configuration (a catalogue model fetched first),
// and the input preprocessing a model stands for, checked once at deploy.
import { EdgeAiError } from '../errors';
import { choiceSetting, numberSetting } from '../settings';
import type { YoloLayout } from '../decode';
import { NORMALIZE_PRESETS, type NormalizePreset, type PreprocessSpec, type Triple } from '../image';
import type { InputGeometry, LabelSource, ModelConfig, ModelInfo } from './describe';
import { parseLabelLines } from './labels';
import type { ModelTask } from '../types';
import { expandPath } from '../paths';
import { catalogueEntry, fetchCatalogueModel, type FetchOptions } from '../catalogue';
import type { DoctorReport } from './doctor';

/** The model node's settings as they come from the flow (strings and numbers from the editor). */
export interface ModelNodeSettings {
  source?: string;
  catalogue?: string;
  /** With source "update": the model name its signed bundles carry. */
  update?: string;
  path?: string;
  sha256?: string;
  task?: string;
  yoloLayout?: string;
  labelsSource?: string;
  labelsFile?: string;
  labels?: string;
  threads?: number | string;
  spinning?: boolean;
  unsignedInt8?: boolean;
  tfliteSymmetricWeights?: boolean;
  checkFirst?: boolean;
  watch?: boolean;
  preSource?: string;
  preResize?: string;
  prePad?: number | string;
  preAlign?: string;
  preChannels?: string;
  preNormalize?: string;
  preMean?: string;
  preStd?: string;
}

/** Preprocessing settings shared by the model node ("pre" fields) and the preprocess node. */
export interface PreprocessSettings {
  resize?: string;
  padValue?: number | string;
  align?: string;
  channels?: string;
  normalize?: string;
  mean?: string;
  std?: string;
}

/**
 * The model node's settings made into a model configuration, validated once at deploy. A
 * catalogue model is fetched into `cacheDir` first (or found there).
 */
export async function resolveModelConfig(settings: ModelNodeSettings, baseDir: string, cacheDir: string, fetchOptions: FetchOptions = {}): Promise<ModelConfig> {
  const source = choiceSetting('source', settings.source, 'file', ['file', 'catalogue'] as const);
  if (source === 'file') return modelConfigFrom(settings, baseDir);
  const entry = catalogueEntry(String(settings.catalogue ?? ''));
  const fetched = await fetchCatalogueModel(entry, cacheDir, fetchOptions);
  const labels: Partial<ModelNodeSettings> = fetched.labelsPath && (settings.labelsSource ?? 'auto') === 'auto'
    ? { labelsSource: 'file', labelsFile: fetched.labelsPath }
    : {};
  return modelConfigFrom({ ...settings, ...labels, path: fetched.modelPath, sha256: entry.model.sha256 }, baseDir);
}

/**
 * The configuration of a model fed by signed updates: the file the update store serves, reloaded
 * by the update device (not by watching), with the bundle's labels unless the node names others.
 */
export function servedModelConfig(settings: ModelNodeSettings, served: { model: string; labels?: string }, baseDir: string): ModelConfig {
  const labels: Partial<ModelNodeSettings> = served.labels && (settings.labelsSource ?? 'auto') === 'auto' ? { labelsSource: 'file', labelsFile: served.labels } : {};
  return modelConfigFrom({ ...settings, ...labels, path: served.model, sha256: '', watch: false }, baseDir);
}

/**
 * What a model node names as its model, by its source: the catalogue id, the updates' model
 * name, or the path as written (`${EDGE_AI_MODELS}/…`, not expanded).
 */
export function configuredModel(settings: ModelNodeSettings): string {
  if (settings.source === 'catalogue') return String(settings.catalogue ?? '');
  if (settings.source === 'update') return String(settings.update ?? '');
  return String(settings.path ?? '');
}

/** Validate and coerce the model node's settings for a model file. */
export function modelConfigFrom(settings: ModelNodeSettings, baseDir: string): ModelConfig {
  if (!settings.path?.trim()) throw new EdgeAiError('badSetting', { name: 'path', expected: 'the path of an .onnx or .tflite file', received: '""' });
  const sha256 = settings.sha256?.trim() ?? '';
  if (sha256 && !/^[0-9a-fA-F]{64}$/.test(sha256)) {
    throw new EdgeAiError('badSetting', { name: 'sha256', expected: '64 hexadecimal characters or empty', received: JSON.stringify(sha256) });
  }
  const task = choiceSetting<ModelTask | 'auto'>('task', settings.task, 'auto', ['auto', 'classification', 'detection', 'raw']);
  const labelsKind = choiceSetting('labelsSource', settings.labelsSource, 'auto', ['auto', 'metadata', 'file', 'inline', 'none'] as const);
  // The model's path first: with ${EDGE_AI_MODELS} unset in both, the error names the model.
  const modelPath = expandPath(settings.path, baseDir);
  let labels: LabelSource;
  if (labelsKind === 'file') labels = { kind: 'file', path: expandPath(settings.labelsFile ?? '', baseDir) };
  else if (labelsKind === 'inline') labels = { kind: 'inline', labels: parseLabelLines(settings.labels ?? '') };
  else labels = { kind: labelsKind };
  return {
    path: modelPath,
    sha256: sha256 || undefined,
    task,
    yoloLayout: choiceSetting<YoloLayout>('yoloLayout', settings.yoloLayout, 'auto', ['auto', 'v8', 'v5', 'yolox', 'end-to-end', 'movenet']),
    labels,
    threads: numberSetting('threads', settings.threads, 1, 1, 16, true),
    spinning: settings.spinning === true,
    unsignedInt8: settings.unsignedInt8 !== false,
    tfliteSymmetricWeights: settings.tfliteSymmetricWeights === true,
    checkFirst: settings.checkFirst !== false,
    watch: settings.watch !== false,
  };
}

/**
 * The preprocessing a model node stands for: what the doctor proposes ("auto", the default)
 * or its own "pre" fields ("manual"), in the preprocess node's naming.
 */
export function modelPreprocessSettings(s: ModelNodeSettings, doctor: DoctorReport): PreprocessSettings {
  if (s.preSource === 'manual') {
    return { resize: s.preResize, padValue: s.prePad, align: s.preAlign, channels: s.preChannels, normalize: s.preNormalize, mean: s.preMean, std: s.preStd };
  }
  const p = doctor.preprocess;
  return { resize: p.resize, padValue: p.padValue, align: p.align, channels: p.channels, normalize: p.normalize, mean: p.mean?.join(','), std: p.std?.join(',') };
}

/** The preprocessing a model node hands "from model" preprocess nodes; a dynamic input takes the doctor's size. */
export function modelPreprocessSpec(s: ModelNodeSettings, info: Pick<ModelInfo, 'doctor' | 'input'>): PreprocessSpec {
  const { input, doctor } = info;
  const size = (own: number, proposed: number | undefined): number | undefined => (own > 0 ? own : proposed);
  return preprocessSpecFrom(modelPreprocessSettings(s, doctor), {
    ...input, width: size(input.width, doctor.preprocess.width) as number, height: size(input.height, doctor.preprocess.height) as number,
  });
}

/** Validate preprocessing settings; size, layout and dtype come from the caller. */
export function preprocessSpecFrom(
  s: PreprocessSettings, geometry: Pick<InputGeometry, 'width' | 'height' | 'layout' | 'type'>,
): PreprocessSpec {
  const normalize = choiceSetting<NormalizePreset>('normalize', s.normalize, 'unit', ['unit', 'signed', 'imagenet', 'raw', 'custom']);
  const preset = normalize === 'custom'
    ? { mean: tripleSetting('mean', s.mean, false), std: tripleSetting('std', s.std, true) }
    : NORMALIZE_PRESETS[normalize];
  return {
    width: numberSetting('width', geometry.width, 224, 1, 8192, true),
    height: numberSetting('height', geometry.height, 224, 1, 8192, true),
    resize: choiceSetting('resize', s.resize, 'letterbox', ['stretch', 'letterbox', 'crop'] as const),
    padValue: numberSetting('padValue', s.padValue, 114, 0, 255, true),
    align: choiceSetting('align', s.align, 'center', ['center', 'topleft'] as const),
    channels: choiceSetting('channels', s.channels, 'rgb', ['rgb', 'bgr'] as const),
    layout: geometry.layout,
    dtype: geometry.type,
    mean: preset.mean,
    std: preset.std,
  };
}

/** Three comma-separated pixel values: means 0..255, standard deviations above 0 up to 255. */
function tripleSetting(name: string, raw: string | undefined, isStd: boolean): Triple {
  const values = String(raw ?? '').split(',').map((v) => Number(v.trim()));
  const inRange = (v: number): boolean => Number.isFinite(v) && v <= 255 && (isStd ? v > 0 : v >= 0);
  if (values.length !== 3 || !values.every(inRange)) {
    const range = isStd ? 'above 0 and up to 255' : 'from 0 to 255';
    throw new EdgeAiError('badSetting', { name, expected: `three comma-separated numbers ${range}`, received: JSON.stringify(raw) });
  }
  return values as Triple;
}
