// Messages between a ModelHost (Node-RED thread) and its inference worker.
import type { ErrorCode, ErrorParams } from '../errors';
import type { Classification, Detection, YoloOptions } from '../decode';
import type { TensorType, Transform } from '../image';
import type { InspectReport, ModelConfig, ModelInfo } from './describe';

export interface LoadRequest {
  kind: 'load';
  config: ModelConfig;
}

export interface WireTensor {
  /** Pooled buffer owned by the host, transferred to the worker and sent back. */
  buffer: ArrayBuffer;
  byteLength: number;
  dims: number[];
  type: TensorType;
}

export type DecodeRequest =
  | { kind: 'classification'; topK: number; minScore: number }
  | { kind: 'detection'; yolo: Omit<YoloOptions, 'layout'>; transform?: Transform }
  | { kind: 'raw' };

export interface RunRequest {
  kind: 'run';
  id: number;
  input: WireTensor;
  decode: DecodeRequest;
}

export interface RawTensor {
  data: ArrayBuffer;
  dims: number[];
  type: string;
}

export type RunOutput = Classification[] | Detection[] | Record<string, RawTensor>;

export type WorkerRequest = LoadRequest | RunRequest | { kind: 'inspect'; path: string } | { kind: 'release' };

export type WorkerReply =
  | { kind: 'loaded'; info: ModelInfo }
  | { kind: 'inspected'; report: InspectReport }
  | { kind: 'result'; id: number; output: RunOutput; buffer: ArrayBuffer; runMs: number; workerMs: number }
  | { kind: 'error'; id?: number; code?: ErrorCode; params?: ErrorParams; message: string; buffer?: ArrayBuffer }
  | { kind: 'released' };
