// What `edge-ai-model doctor` and `inspect` print about a model file: the doctor's report in the
// words of the model dialog (its English catalog), and an ONNX file's structure.
import type { InspectReport } from '../model';
import { OnnxGraph, readOnnxModelInfo } from '../onnx';
import { formatText, type ErrorParams } from '../errors';
import type { TensorInfo } from '../types';

/** A catalog lookup, `key` under the model node's texts (`report.layout`, `doctor.yolox`, ...). */
export type CatalogText = (key: string, params?: ErrorParams) => string;

/** The lookup over a Node-RED catalog object (`{ "edge-ai-model": { report: {...}, ... } }`). */
export function catalogText(catalog: Record<string, unknown>, namespace: string): CatalogText {
  return (key, params = {}) => {
    let at: unknown = catalog[namespace];
    for (const part of key.split('.')) at = (at as Record<string, unknown> | undefined)?.[part];
    return typeof at === 'string' ? formatText(at, params) : key;
  };
}

const tensorLine = (t: TensorInfo): string => `${t.name} ${t.type} [${t.dims.join(', ')}]`;

/** The doctor's report as the model dialog shows it, a line per fact. */
export function describeDoctorReport(r: InspectReport, t: CatalogText): string[] {
  const p = r.preprocess;
  const preprocess = p.layout
    ? [
      t(p.width && p.height ? 'report.inputSize' : 'report.inputDynamic', { width: p.width ?? '?', height: p.height ?? '?', layout: p.layout.toUpperCase(), dtype: p.dtype ?? '' }),
      p.resize === 'letterbox' ? t('report.letterbox', { resize: t(`option.${p.resize}`), pad: p.padValue, align: t(`option.${p.align}`) }) : t(`option.${p.resize}`),
      t(`option.${p.channels}`),
      t(`option.${p.normalize === 'raw' ? 'raw255' : p.normalize}`),
      ...(p.mean && p.std ? [t('report.meanStd', { mean: p.mean.join(', '), std: p.std.join(', ') })] : []),
    ].join('; ')
    : '-';
  const labels = r.labels.source === 'metadata' ? t('report.labelsMetadata', { count: r.labels.count ?? 0 }) : t('report.labelsNone');
  return [
    `${t('report.file')}: ${r.path} (${r.format}, ${r.size} bytes, SHA-256 ${r.sha256})`,
    `${t('report.layout')}: ${t(`layout.${r.layout}`)}`,
    `${t('report.task')}: ${t(`option.${r.task}`)}`,
    ...(r.classes === undefined ? [] : [`${t('report.classes')}: ${r.classes}`]),
    `${t('report.labels')}: ${labels}`,
    `${t('report.preprocess')}: ${preprocess}`,
    ...r.inputs.map((i) => `${t('report.inputs')}: ${tensorLine(i)}`),
    ...r.outputs.map((o) => `${t('report.outputs')}: ${tensorLine(o)}`),
    ...r.notes.map((n) => `${t('report.notes')}: ${t(`doctor.${n.code}`, n.params)}`),
  ];
}

/** An ONNX file's structure: producer, opsets, inputs, outputs, operators, metadata. */
export function describeOnnx(bytes: Uint8Array): string[] {
  const info = readOnnxModelInfo(bytes);
  const lines = [
    `ONNX model: IR version ${info.irVersion ?? '?'}, opsets ${Object.entries(info.opsets).map(([d, v]) => `${d} ${v}`).join(', ')}`
      + `${info.producerName ? `, made by ${info.producerName} ${info.producerVersion ?? ''}`.trimEnd() : ''}`,
    ...info.inputs.map((i) => `input  ${tensorLine(i)}`),
    ...info.outputs.map((o) => `output ${tensorLine(o)}`),
  ];
  try {
    const graph = OnnxGraph.read(bytes);
    const counts = new Map<string, number>();
    for (const node of graph.nodes) counts.set(node.op, (counts.get(node.op) ?? 0) + 1);
    lines.push(`operators (${graph.nodes.length}): ${[...counts].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ×${n}`).join(', ')}`);
  } catch (err) {
    lines.push(`operators: not counted (${(err as Error).message})`);
  }
  const keys = Object.keys(info.metadata);
  if (keys.length) lines.push(`metadata: ${keys.join(', ')}`);
  return lines;
}
