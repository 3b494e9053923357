// What `edge-ai-model inspect` prints about a TensorFlow Lite file: its operators, inputs and
// outputs with their quantization, constants, and what its metadata says.
import type { TfliteImport, TfliteTensor } from '../tflite';

const quantization = (t: TfliteTensor): string => {
  const q = t.quantization;
  if (!q) return '';
  if (q.scale.length > 1) return ` per-axis (axis ${q.axis}, ${q.scale.length} scales)`;
  return ` scale ${q.scale[0].toPrecision(6)} zero point ${q.zeroPoint[0]}`;
};

const tensor = (t: TfliteTensor): string => `${t.name || `tensor ${t.index}`} ${t.type}[${t.shape.join(',')}]${quantization(t)}`;

export function describeTflite({ model, metadata, operators, onnx }: TfliteImport): string[] {
  const constants = model.tensors.filter((t) => t.data);
  const types = new Map<string, number>();
  for (const t of constants) {
    const kind = `${t.type}${t.quantization ? (t.quantization.scale.length > 1 ? ' per-axis' : ' per-tensor') : ''}`;
    types.set(kind, (types.get(kind) ?? 0) + 1);
  }
  const lines = [
    `operators (${model.operators.length}): ${[...operators].map(([op, n]) => `${op} ×${n}`).join(', ')}`,
    ...model.inputs.map((i) => `input  ${tensor(model.tensors[i])}`),
    ...model.outputs.map((i) => `output ${tensor(model.tensors[i])}`),
    `tensors: ${model.tensors.length}, constants: ${constants.length} (${[...types].map(([t, n]) => `${n} ${t}`).join(', ')}), subgraphs: ${model.subgraphCount}`,
    `imported: ONNX opset 17, ${onnx.length} bytes`,
  ];
  const { name, description, author, license, mean, std, labels, labelsFile, files } = metadata;
  if (name || description) lines.push(`metadata: ${[name, description].filter(Boolean).join(': ')}`);
  if (author || license) lines.push(`author: ${author ?? '?'}, license: ${license ?? '?'}`);
  if (mean && std) lines.push(`input normalisation: (x - ${mean.join('/')}) / ${std.join('/')}`);
  if (labels) lines.push(`labels: ${labels.length} from ${labelsFile} (${labels.slice(0, 3).join(', ')}, ...)`);
  if (files.length) lines.push(`packed files: ${files.join(', ')}`);
  return lines;
}
