# onnxruntime's own static quantizer, as an outside reference for edge-ai-model quantize: the
# same float model, the same calibration tensors (written by dump-calibration.js), QDQ with
# uint8 activations and per-channel int8 weights (the U8S8 combination our quantizer makes).
# Not part of the tests: run by hand with a Python that has onnxruntime (see the README).
# Usage: python ort-quantize.py MODEL.onnx CALIBRATION_DIR OUT.onnx [MinMax|Entropy|Percentile]
import glob, sys
import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

model, folder, out = sys.argv[1:4]
method = sys.argv[4] if len(sys.argv) > 4 else 'MinMax'
graph_input = onnx.load(model).graph.input[0]
name = graph_input.name
shape = [d.dim_value or 1 for d in graph_input.type.tensor_type.shape.dim]

class Reader(CalibrationDataReader):
    def __init__(self):
        self.files = iter(sorted(glob.glob(folder + '/*.f32')))
    def get_next(self):
        f = next(self.files, None)
        return None if f is None else {name: np.fromfile(f, dtype=np.float32).reshape(shape)}

# Per-channel weights need opset 13 (DequantizeLinear's axis); older models are converted first.
loaded = onnx.load(model)
if max(o.version for o in loaded.opset_import if o.domain in ('', 'ai.onnx')) < 13:
    from onnx import version_converter
    model = out + '.opset13.onnx'
    onnx.save(version_converter.convert_version(loaded, 13), model)
prepared = out + '.pre.onnx'
quant_pre_process(model, prepared)
quantize_static(prepared, out, Reader(), quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                per_channel=True, calibrate_method=getattr(CalibrationMethod, method))
print('wrote', out, 'calibrated with', method)
