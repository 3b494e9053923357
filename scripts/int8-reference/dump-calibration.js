// Writes a model's calibration inputs, preprocessed exactly as edge-ai-model quantize does, as
// raw float32 files, so that onnxruntime's own Python quantizer (ort-quantize.py) calibrates on
// the same tensors. Usage: node scripts/int8-reference/dump-calibration.js MODEL.onnx IMAGES_DIR OUT_DIR
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { modelInputs } = require('../../dist/lib/int8');

(async () => {
  const [model, images, out] = process.argv.slice(2);
  fs.mkdirSync(out, { recursive: true });
  const files = fs.readdirSync(images).filter((f) => /\.(jpe?g|png|bmp)$/i.test(f)).sort().map((f) => path.join(images, f));
  let i = 0;
  for await (const data of modelInputs(fs.readFileSync(model), files)) fs.writeFileSync(path.join(out, `${String(i++).padStart(3, '0')}.f32`), Buffer.from(data.buffer));
  console.log(`${i} inputs in ${out}`);
})();
