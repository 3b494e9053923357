// What Model Maker, MediaPipe and Teachable Machine files say about themselves: the
// TFLITE_METADATA buffer (tflite-support's metadata_schema.fbs, identifier "M001": input
// normalisation, value ranges, which associated file labels which output) and the zip of
// associated files appended to the .tflite (read with yauzl). Sizes are capped: both come
// with the file.
import { fromBuffer, type Entry, type ZipFile } from 'yauzl';
import { FlatTable } from './flatbuffer';
import type { TfliteModel } from './schema';
import { MAX_LABELS_BYTES } from '../types';

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

/** Most packed files listed. */
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
  const zip = await openPackedZip(bytes);
  try {
    const entries = zip ? await listEntries(zip) : [];
    result.files = entries.map((e) => e.fileName);
    // Without metadata naming it, a lone text file of labels is still taken (Teachable Machine packs labels.txt).
    labelsFile ??= result.files.find((f) => /labels?\.txt$/i.test(f));
    // Only the labels file is read, and only when it is of a labels file's size: a zip of
    // overlapping 16 MB entries once made a 20 KB file take a gigabyte to import.
    const entry = entries.find((e) => e.fileName === labelsFile);
    const labelText = zip && entry && entry.uncompressedSize <= MAX_LABELS_BYTES ? await readEntry(zip, entry) : undefined;
    if (labelText) {
      result.labelsFile = labelsFile;
      result.labels = labelText.toString('utf8').replace(/\r\n?/g, '\n').split('\n').map((l) => l.trim());
      while (result.labels.length && !result.labels[result.labels.length - 1]) result.labels.pop();
    }
  } finally {
    zip?.close();
  }
  return result;
}

/** The zip appended to the model, or undefined when there is none. */
async function openPackedZip(bytes: Buffer): Promise<ZipFile | undefined> {
  // The zip's end record sits in the last 64 KB; without one there is nothing to open.
  if (bytes.lastIndexOf('PK\x05\x06', bytes.length - 22, 'latin1') < Math.max(0, bytes.length - 65_557)) return undefined;
  try {
    return await new Promise<ZipFile>((resolve, reject) => fromBuffer(bytes, { lazyEntries: true, validateEntrySizes: true, autoClose: false }, (err, z) => (err ? reject(err) : resolve(z))));
  } catch {
    return undefined;
  }
}

/** The zip's file entries (names and sizes only: nothing is inflated), at most MAX_FILES. */
function listEntries(zip: ZipFile): Promise<Entry[]> {
  const entries: Entry[] = [];
  return new Promise<Entry[]>((resolve) => {
    zip.on('entry', (entry: Entry) => {
      if (!entry.fileName.endsWith('/')) entries.push(entry);
      if (entries.length >= MAX_FILES) resolve(entries);
      else zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', () => resolve(entries));
    zip.readEntry();
  });
}

/** One entry's bytes, or undefined when it cannot be read. */
function readEntry(zip: ZipFile, entry: Entry): Promise<Buffer | undefined> {
  return new Promise<Buffer | undefined>((resolve) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return resolve(undefined);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', () => resolve(undefined));
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}
