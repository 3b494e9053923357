// Golden frames: images a bundle carries with the answer its model must give on them, made when
// the bundle is made and checked on the device before the model serves (a model that loads but
// answers wrongly, a wrong file or a broken conversion, is caught there). Answers are decoded as
// the model node decodes them (int8/agreement.ts), so they compare across CPUs: the same top-1,
// or the same detections (class, IoU >= 0.5), not the same bits.
import * as ort from 'onnxruntime-node';
import { answerOf, matchDetections, modelTask, modelTensors, type Answer } from '../int8';
import type { GoldenFrame } from './manifest';

/** Pixels of rounding kept in a golden box. */
const BOX_DECIMALS = 1;

/** The answers an ONNX model gives on `images` (files or Buffers), decoded as the model node decodes them. */
export async function answersOn(onnx: Uint8Array, images: Array<string | Buffer>): Promise<Answer[]> {
  const task = modelTask(onnx);
  const session = await ort.InferenceSession.create(onnx, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  try {
    const answers: Answer[] = [];
    for await (const tensor of modelTensors(onnx, images)) {
      const outputs = await session.run({ [session.inputNames[0]]: new ort.Tensor(tensor.type, tensor.data, tensor.dims) });
      answers.push(answerOf(task, outputs as never, session.outputNames));
    }
    return answers;
  } finally {
    await session.release();
  }
}

/** The answers as a manifest stores them. */
export async function goldenAnswers(onnx: Uint8Array, images: Array<string | Buffer>): Promise<Array<GoldenFrame['answer']>> {
  if (modelTask(onnx).kind === 'raw') throw new Error('golden frames need a model whose outputs the model node decodes (a classifier or a detector); this one is raw');
  return (await answersOn(onnx, images)).map(stored);
}

const round = (v: number): number => Math.round(v * 10 ** BOX_DECIMALS) / 10 ** BOX_DECIMALS;

function stored(answer: Answer): GoldenFrame['answer'] {
  if (answer.kind === 'classification') return { top1: answer.top1 };
  if (answer.kind === 'detection') return { detections: answer.detections.map((d) => ({ classId: d.classId, box: [round(d.box.x), round(d.box.y), round(d.box.w), round(d.box.h)] })) };
  return {};
}

/**
 * Why `actual` is not the golden answer, or undefined when it is: the same top-1, or every
 * golden detection found again with at most one more (int8 kernels differ a little by CPU).
 */
export function goldenMismatch(expected: GoldenFrame['answer'], actual: Answer): string | undefined {
  if (expected.top1 !== undefined) {
    if (actual.kind !== 'classification') return `a ${actual.kind} answer where a top-1 was expected`;
    return actual.top1 === expected.top1 ? undefined : `top-1 class ${actual.top1}, expected ${expected.top1}`;
  }
  if (actual.kind !== 'detection') return `a ${actual.kind} answer where detections were expected`;
  const golden = (expected.detections ?? []).map((d) => ({ label: '', classId: d.classId, score: 1, box: { x: d.box[0], y: d.box[1], w: d.box[2], h: d.box[3] } }));
  const { pairs, unmatched } = matchDetections(golden, actual.detections);
  if (pairs.length < golden.length) return `${pairs.length} of ${golden.length} golden detections found`;
  return unmatched > 1 ? `${unmatched} detections more than the golden ${golden.length}` : undefined;
}
