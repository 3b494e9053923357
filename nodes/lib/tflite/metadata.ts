// What Model Maker, MediaPipe and Teachable Machine files say about themselves: the
// TFLITE_METADATA buffer (tflite-support's metadata_schema.fbs, identifier "M001": input
// normalisation, value ranges, which associated file labels which output) and the zip of
// associated files appended to the .tflite (read with yauzl). Sizes are capped: both come
// with the file.
import { fromBuffer, type Entry, type ZipFile } from 'yauzl';
import { FlatTable } from './flatbuffer';
import type { TfliteModel } from './schema';

export interface TfliteMetadata {
  name?: string;
  description?: string;
  author?: string;
  license?: string;
  version?: string;
  /** Input normalisation: (pixel - mean) / std, per channel or one value for all. */
  mean?: number[];
  std?: number[];
  /** The input's value range (Stats min/max). */
  min?: number[];
  max?: number[];
  /** Labels of the first output, from its TENSOR_AXIS_LABELS (or value labels) file. */
  labels?: string[];
  labelsFile?: string;
  /** Names of the files packed in the model. */
  files: string[];
}

const META = { NAME: 0, DESCRIPTION: 1, VERSION: 2, SUBGRAPHS: 3, AUTHOR: 4, LICENSE: 5, FILES: 6 } as const;
const SUBGRAPH = { INPUTS: 2, OUTPUTS: 3, FILES: 4 } as const;
const TENSOR = { PROCESS_UNITS: 4, STATS: 5, FILES: 6 } as const;
const PROCESS_UNIT = { OPTIONS_TYPE: 0, OPTIONS: 1 } as const;
const NORMALIZATION_OPTIONS = 1;
const FILE = { NAME: 0, TYPE: 2 } as const;
const LABEL_TYPES = [2, 3];

const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MAX_FILES = 64;

export async function readTfliteMetadata(bytes: Buffer, model: TfliteModel): Promise<TfliteMetadata> {
  const result: TfliteMetadata = { files: [] };
  const buffer = model.metadata.get('TFLITE_METADATA');
  let labelsFile: string | undefined;
  if (buffer && buffer.length >= 8) {
    const root = FlatTable.root(buffer, 'M001', 'model metadata');
    const text = (slot: number): string | undefined => root.string(slot) || undefined;
    Object.assign(result, { name: text(META.NAME), description: text(META.DESCRIPTION), version: text(META.VERSION), author: text(META.AUTHOR), license: text(META.LICENSE) });
    const [subgraph] = root.tables(META.SUBGRAPHS, 'subgraph metadata');
    const [input] = subgraph?.tables(SUBGRAPH.INPUTS, 'input metadata') ?? [];
    const [output] = subgraph?.tables(SUBGRAPH.OUTPUTS, 'output metadata') ?? [];
    for (const unit of input?.tables(TENSOR.PROCESS_UNITS, 'process unit') ?? []) {
      if (unit.scalar(PROCESS_UNIT.OPTIONS_TYPE, 'uint8') !== NORMALIZATION_OPTIONS) continue;
      const options = unit.table(PROCESS_UNIT.OPTIONS, 'normalization options');
      result.mean = options?.numbers(0, 'float32');
      result.std = options?.numbers(1, 'float32');
    }
    const stats = input?.table(TENSOR.STATS, 'input stats');
    if (stats) Object.assign(result, { max: stats.numbers(0, 'float32'), min: stats.numbers(1, 'float32') });
    const files = [...(output?.tables(TENSOR.FILES, 'associated file') ?? []), ...(subgraph?.tables(SUBGRAPH.FILES, 'associated file') ?? [])];
    labelsFile = files.find((f) => LABEL_TYPES.includes(f.scalar(FILE.TYPE, 'int8')))?.string(FILE.NAME);
  }
  const packed = await packedFiles(bytes);
  result.files = [...packed.keys()];
  // Without metadata naming it, a lone text file of labels is still taken (Teachable Machine packs labels.txt).
  labelsFile ??= result.files.find((f) => /labels?\.txt$/i.test(f));
  const labelText = labelsFile ? packed.get(labelsFile) : undefined;
  if (labelText) {
    result.labelsFile = labelsFile;
    result.labels = labelText.toString('utf8').replace(/\r\n?/g, '\n').split('\n').map((l) => l.trim());
    while (result.labels.length && !result.labels[result.labels.length - 1]) result.labels.pop();
  }
  return result;
}

/** The files of the zip appended to the model (none when there is no zip). */
async function packedFiles(bytes: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  // The zip's end record sits in the last 64 KB; without one there is nothing to open.
  if (bytes.lastIndexOf('PK\x05\x06', bytes.length - 22, 'latin1') < Math.max(0, bytes.length - 65_557)) return files;
  let zip: ZipFile;
  try {
    zip = await new Promise<ZipFile>((resolve, reject) => fromBuffer(bytes, { lazyEntries: true, validateEntrySizes: true }, (err, z) => (err ? reject(err) : resolve(z))));
  } catch {
    return files;
  }
  await new Promise<void>((resolve) => {
    const next = (): void => (files.size >= MAX_FILES ? (zip.close(), resolve()) : zip.readEntry());
    zip.on('entry', (entry: Entry) => {
      if (entry.fileName.endsWith('/') || entry.uncompressedSize > MAX_FILE_BYTES) return next();
      zip.openReadStream(entry, (err, stream) => {
        if (err) return next();
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', () => next());
        stream.on('end', () => {
          files.set(entry.fileName, Buffer.concat(chunks));
          next();
        });
      });
    });
    zip.on('end', () => resolve());
    zip.on('error', () => resolve());
    next();
  });
  return files;
}
