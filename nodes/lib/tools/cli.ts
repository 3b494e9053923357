// `edge-ai-model`: the model tools on the command line, for making the int8 and smaller-input
// variants of a model on the device itself (no Python, nothing downloaded).
//   edge-ai-model quantize MODEL.onnx|MODEL.tflite --images DIR|FILE... [--out FILE]
//                 [--per-tensor] [--reduce-range] [--exclude NAME,...] [--max-images N]
//   edge-ai-model resize MODEL.onnx --size 320|WxH [--out FILE]
//   edge-ai-model convert MODEL.tflite [--out FILE] [--symmetric-weights] [--symmetric-weights]
//   edge-ai-model inspect MODEL.tflite
// (`edge-ai-model health` is the health probe: bin/edge-ai-model.js runs it without these tools.)
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { resizeYoloInput } from './input-size';
import { calibrationInputs, quantizeModel } from './quantize';
import { describeTflite } from './tflite-report';
import { importTflite, TfliteImportError, type ImportOptions } from '../tflite';
import { isTflite } from '../model';

const USAGE = `usage:
  edge-ai-model quantize MODEL.onnx|MODEL.tflite --images DIR|FILE... [--out FILE]
                [--per-tensor] [--reduce-range] [--exclude NAME,...] [--max-images N]
  edge-ai-model resize MODEL.onnx --size 320|WxH [--out FILE]
  edge-ai-model convert MODEL.tflite [--out FILE]
  edge-ai-model inspect MODEL.tflite
  edge-ai-model health [--url URL] [--live] [--timeout SECONDS]   (a running Node-RED's /edge-ai/health)`;

const IMAGE_FILE = /\.(jpe?g|png|webp|bmp|tiff?)$/i;

interface Parsed {
  command: string;
  model: string;
  options: Map<string, string[]>;
}

function parse(args: string[]): Parsed {
  const [command, model, ...rest] = args;
  if (!command || !model || command.startsWith('-') || model.startsWith('-')) throw new Error(USAGE);
  const options = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const arg of rest) {
    if (arg.startsWith('--')) options.set(arg.slice(2), (current = []));
    else if (current) current.push(arg);
    else throw new Error(`unexpected "${arg}"\n${USAGE}`);
  }
  return { command, model, options };
}

function one(options: Map<string, string[]>, name: string): string | undefined {
  const values = options.get(name);
  if (values && values.length !== 1) throw new Error(`--${name} takes one value`);
  return values?.[0];
}

/** Image files from folders (sorted, non-recursive) and file arguments. */
export function imageFiles(entries: string[], max: number): string[] {
  const files = entries.flatMap((entry) => (statSync(entry).isDirectory()
    ? readdirSync(entry).filter((f) => IMAGE_FILE.test(f)).sort().map((f) => path.join(entry, f))
    : [entry]));
  if (!files.length) throw new Error(`no images (${IMAGE_FILE.source}) in ${entries.join(', ')}`);
  return files.slice(0, max);
}

const outputPath = (model: string, suffix: string): string => path.join(path.dirname(model), `${path.basename(model).replace(/\.(onnx|tflite)$/i, '')}_${suffix}.onnx`);

/** The importer's refusals as the command's one-line error. */
async function imported(model: string, bytes: Buffer, options: ImportOptions = {}): Promise<Awaited<ReturnType<typeof importTflite>>> {
  try {
    return await importTflite(bytes, options);
  } catch (err) {
    if (err instanceof TfliteImportError) throw new Error(`${model}: ${err.message}`);
    throw err;
  }
}

export async function main(args: string[], log: (line: string) => void = console.log): Promise<string> {
  const { command, model, options } = parse(args);
  const file = readFileSync(model);
  // A float .tflite file is quantized as the ONNX model the model node would make of it.
  const bytes = command === 'quantize' && isTflite(file) ? (await imported(model, file)).onnx : file;
  if (command === 'quantize') {
    const images = imageFiles(options.get('images') ?? [], Number(one(options, 'max-images') ?? 64));
    const started = Date.now();
    const report = await quantizeModel(bytes, {
      calibration: calibrationInputs(bytes, images),
      perChannel: !options.has('per-tensor'),
      reduceRange: options.has('reduce-range'),
      exclude: (one(options, 'exclude') ?? '').split(',').filter(Boolean),
    });
    const out = one(options, 'out') ?? outputPath(model, 'int8');
    writeFileSync(out, report.bytes);
    const nodes = Object.entries(report.quantizedNodes).map(([op, n]) => `${n} ${op}`).join(', ');
    log(`${out}: ${(report.bytes.length / 1e6).toFixed(1)} MB (was ${(bytes.length / 1e6).toFixed(1)} MB), int8: ${nodes}; `
      + `${report.activations} activation ranges from ${report.calibrationInputs} images, opset ${report.opset}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return out;
  }
  if (command === 'resize') {
    const size = /^(\d+)(?:x(\d+))?$/.exec(one(options, 'size') ?? '');
    if (!size) throw new Error(`--size takes a size such as 320 or 416x256\n${USAGE}`);
    const [width, height] = [Number(size[1]), Number(size[2] ?? size[1])];
    const report = resizeYoloInput(bytes, width, height);
    const out = one(options, 'out') ?? outputPath(model, `${width}x${height}`);
    writeFileSync(out, report.bytes);
    log(`${out}: input ${width}x${height}, ${report.anchors.from} -> ${report.anchors.to} anchors, ${report.constants} constants rewritten`);
    return out;
  }
  if (command === 'convert' || command === 'inspect') {
    const result = await imported(model, file, { symmetricWeights: options.has('symmetric-weights') });
    if (command === 'inspect') {
      for (const line of describeTflite(result)) log(line);
      return model;
    }
    const out = one(options, 'out') ?? path.join(path.dirname(model), `${path.basename(model, '.tflite')}.onnx`);
    writeFileSync(out, result.onnx);
    const ops = [...result.operators].map(([op, n]) => `${n} ${op}`).join(', ');
    const requantized = options.has('symmetric-weights') ? `; weights made symmetric, ${result.requantizedChannels} channels requantized` : '';
    log(`${out}: ONNX opset 17, ${(result.onnx.length / 1e6).toFixed(1)} MB, from ${result.model.operators.length} TFLite operators (${ops})${requantized}`);
    return out;
  }
  throw new Error(`unknown command "${command}"\n${USAGE}`);
}
