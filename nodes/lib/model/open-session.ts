// Opening a model as the inference worker runs it: read, verify and describe the file, make
// signed int8 activations unsigned where that pays, and create the onnxruntime session. Shared by
// the worker and by the checker process that tries every new model first.
import * as ort from 'onnxruntime-node';
import { EdgeAiError } from '../errors';
import { checkLabelCount, describeModel, inputGeometry, type ModelConfig, type ModelInfo } from './describe';
import type { TensorInfo } from '../types';
import { unsignedActivations, unsignedActivationsPayOff } from './unsigned-activations';
import { dropCachedImport } from './imported';

function tensorInfo(meta: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return meta.map((m) => (m.isTensor ? { name: m.name, type: m.type, dims: [...m.shape] } : { name: m.name, type: 'non-tensor', dims: [] }));
}

export async function openSession(config: ModelConfig): Promise<{ session: ort.InferenceSession; info: ModelInfo }> {
  const { bytes, info } = await describeModel(config);
  const spin = config.spinning ? '1' : '0';
  // A model with its weights in files beside it opens from its path, where onnxruntime finds them.
  const unsigned = !info.externalData && config.unsignedInt8 && unsignedActivationsPayOff() ? unsignedActivations(bytes) : undefined;
  let session: ort.InferenceSession;
  try {
    const options: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: config.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Warnings only (e.g. initializers listed as graph inputs) would flood the Node-RED log.
      logSeverityLevel: 3,
      // Spinning threads burn a core between frames; off suits a camera-paced flow.
      extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
    };
    session = info.externalData ? await ort.InferenceSession.create(config.path, options) : await ort.InferenceSession.create(unsigned?.bytes ?? bytes, options);
  } catch (err) {
    // An import onnxruntime refuses is not kept: the next try converts again.
    if (info.format === 'tflite') await dropCachedImport(info.sha256, { symmetricWeights: config.tfliteSymmetricWeights });
    throw new EdgeAiError('modelInvalid', { path: config.path, reason: (err as Error).message });
  }
  const inputs = tensorInfo(session.inputMetadata);
  const full: ModelInfo = {
    ...info, inputs, outputs: tensorInfo(session.outputMetadata), input: inputGeometry(config.path, inputs), unsignedZeroPoints: unsigned?.zeroPoints ?? 0,
  };
  checkLabelCount(config, full);
  return { session, info: full };
}
