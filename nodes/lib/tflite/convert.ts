// A .tflite file as an ONNX model that onnxruntime runs, built in memory: read the FlatBuffer,
// refuse what cannot be converted (every missing operator named, with its count), convert the
// operators in order, and drop what the result does not use.
import { FlatBufferError } from './flatbuffer';
import { Importer, UnsupportedOperator, type ImportOptions } from './importer';
import { CONVERTERS } from './ops';
import { readTfliteMetadata, type TfliteMetadata } from './metadata';
import { readTflite, type TfliteModel } from './schema';

export type TfliteProblem = 'invalid' | 'unsupported';

/** Why a .tflite file was not imported: not readable as TFLite, or it uses what is not converted. */
export class TfliteImportError extends Error {
  constructor(readonly problem: TfliteProblem, message: string) {
    super(message);
  }
}

export interface TfliteImport {
  onnx: Buffer;
  model: TfliteModel;
  metadata: TfliteMetadata;
  /** How often each TFLite operator occurs. */
  operators: Map<string, number>;
  /** Weight channels requantized to make them symmetric (0 unless asked for). */
  requantizedChannels: number;
}

export function readTfliteModel(bytes: Uint8Array): TfliteModel {
  try {
    return readTflite(bytes);
  } catch (err) {
    if (err instanceof FlatBufferError || err instanceof RangeError) throw new TfliteImportError('invalid', err.message);
    throw err;
  }
}

export function operatorCounts(model: TfliteModel): Map<string, number> {
  const counts = new Map<string, number>();
  for (const op of model.operators) counts.set(op.op, (counts.get(op.op) ?? 0) + 1);
  return counts;
}

/** A .tflite file as an ONNX model, with what its metadata says written as the ONNX metadata the doctor reads. */
export async function importTflite(bytes: Buffer, options: ImportOptions = {}): Promise<TfliteImport> {
  const model = readTfliteModel(bytes);
  let metadata: TfliteMetadata;
  try {
    metadata = await readTfliteMetadata(bytes, model);
  } catch {
    // Metadata helps but is not needed to run the model: a broken one is left out.
    metadata = { files: [] };
  }
  return convertModel(model, metadata, options);
}

function convertModel(model: TfliteModel, metadata: TfliteMetadata, options: ImportOptions): TfliteImport {
  const operators = operatorCounts(model);
  const missing = [...operators].filter(([op]) => !CONVERTERS[op]);
  if (missing.length) {
    throw new TfliteImportError('unsupported', `operators not supported: ${missing.map(([op, n]) => `${op} ×${n}`).join(', ')}`);
  }
  if (!model.inputs.length || !model.outputs.length) throw new TfliteImportError('invalid', `the main subgraph has ${model.inputs.length} inputs and ${model.outputs.length} outputs`);
  const im = new Importer(model, options);
  const step = (what: string, convert: () => void): void => {
    try {
      convert();
    } catch (err) {
      if (err instanceof UnsupportedOperator) throw new TfliteImportError('unsupported', `${what} is not supported as used here: ${err.reason}`);
      // A file whose parts do not fit together (shapes, options): named, not a crash.
      throw new TfliteImportError('invalid', `${what} does not fit its tensors (${(err as Error).message})`);
    }
  };
  for (const input of model.inputs) step(`input ${input}`, () => im.addInput(input));
  for (const op of model.operators) step(`operator ${op.index} (${op.op})`, () => CONVERTERS[op.op](im, op));
  for (const output of model.outputs) step(`output ${output}`, () => im.addOutput(output));
  dropUnused(im);
  for (const [key, value] of Object.entries(onnxMetadata(model, metadata))) im.graph.setMetadata(key, value);
  if (options.symmetricWeights) im.graph.setMetadata('tflite_requantized_channels', String(im.requantizedChannels));
  let onnx: Buffer = Buffer.alloc(0);
  step('the converted graph', () => (onnx = im.graph.encode()));
  return { onnx, model, metadata, operators, requantizedChannels: im.requantizedChannels };
}

/** The ONNX metadata the model doctor reads (`names`, `input_normalization`), and where the model came from. */
function onnxMetadata(model: TfliteModel, metadata: TfliteMetadata): Record<string, string> {
  const out: Record<string, string> = { converted_from: 'tflite' };
  const description = metadata.description ?? model.description;
  if (description) out.description = description;
  for (const key of ['name', 'author', 'license', 'version'] as const) if (metadata[key]) out[key] = metadata[key]!;
  if (metadata.labels) out.names = `{${metadata.labels.map((label, i) => `${i}: ${JSON.stringify(label)}`).join(', ')}}`;
  const { mean, std } = metadata;
  // The doctor takes one mean and std for all channels.
  if (mean?.length && std?.length && mean.every((m) => m === mean[0]) && std.every((s) => s === std[0])) {
    out.input_normalization = `(pixel - ${mean[0]}) / ${std[0]}`;
  }
  return out;
}

/** Nodes and initializers nothing leads from to an output (folded transposes, unused casts). */
function dropUnused(im: Importer): void {
  const graph = im.graph;
  const needed = new Set(graph.outputs.map((o) => o.name));
  const kept = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (!node.outputs.some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const input of node.inputs) if (input) needed.add(input);
  }
  graph.nodes = kept.reverse();
  for (const name of graph.initializerNames()) if (!needed.has(name)) graph.deleteInitializer(name);
}
