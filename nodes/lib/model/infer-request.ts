// What the infer node asks of its model: its settings (checked once, at deploy), the decode
// request that goes with each tensor, and the answer made into a msg payload.
import { classSettings, type YoloOptions } from '../decode';
import type { Transform } from '../image';
import { choiceSetting, numberSetting } from '../settings';
import type { ModelTask } from '../types';
import type { DecodeRequest, RawTensor, RunOutput } from './protocol';
import type { QueueMode } from './queue';

/** The infer node's settings as they come from the flow. */
export interface InferNodeSettings {
  mode?: string;
  queueSize?: number | string;
  topK?: number | string;
  minScore?: number | string;
  confidence?: number | string;
  iou?: number | string;
  maxDetections?: number | string;
  classAgnostic?: boolean;
  classes?: string;
  classThresholds?: string;
}

type ClassificationOptions = Omit<Extract<DecodeRequest, { kind: 'classification' }>, 'kind'>;

/** The queue, and the decoders' own options: the classifier's and the detectors'. */
export type InferSettings = { mode: QueueMode; queueSize: number } & ClassificationOptions & Omit<YoloOptions, 'layout'>;

export function inferSettings(def: InferNodeSettings): InferSettings {
  return {
    mode: choiceSetting<QueueMode>('mode', def.mode, 'live', ['live', 'batch']),
    queueSize: numberSetting('queueSize', def.queueSize, 10, 1, 1000, true),
    topK: numberSetting('topK', def.topK, 5, 1, 100, true),
    minScore: numberSetting('minScore', def.minScore, 0, 0, 1),
    confidence: numberSetting('confidence', def.confidence, 0.25, 0, 1),
    iou: numberSetting('iou', def.iou, 0.45, 0, 1),
    maxDetections: numberSetting('maxDetections', def.maxDetections, 100, 1, 1000, true),
    classAgnostic: def.classAgnostic === true,
    ...classSettings(def.classes, def.classThresholds),
  };
}

/** How the worker decodes this msg's outputs; detections are mapped back through msg.transform when it has one. */
export function decodeRequest(task: ModelTask, s: InferSettings, transform: unknown): DecodeRequest {
  if (task === 'classification') return { kind: 'classification', topK: s.topK, minScore: s.minScore };
  if (task === 'raw') return { kind: 'raw' };
  const { confidence, iou, maxDetections, classAgnostic, classes, classThresholds } = s;
  const mapping = transform as Transform | undefined;
  return {
    kind: 'detection',
    yolo: { confidence, iou, maxDetections, classAgnostic, classes, classThresholds },
    transform: mapping && typeof mapping.scaleX === 'number' ? mapping : undefined,
  };
}

/** Decoded results as they are; raw outputs become {data: Buffer, dims, type}, Buffers being shared, not deep-copied, on fan-out. */
export function resultPayload(output: RunOutput): unknown {
  if (Array.isArray(output)) return output;
  const raw: Record<string, { data: Buffer; dims: number[]; type: string }> = {};
  for (const [name, tensor] of Object.entries(output as Record<string, RawTensor>)) {
    raw[name] = { data: Buffer.from(tensor.data), dims: tensor.dims, type: tensor.type };
  }
  return raw;
}
