// edge-ai-annotate: draws detections (or any msg.annotations list) onto the original frame and
// sends it on as JPEG, for dashboards and snapshots.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { RateMeter, StatusLine, localError } from './adapter';
import { annotationsFrom, drawAnnotations, type Annotation, type DetectionLike, type DrawOptions } from './lib/annotate/draw';
import { EdgeAiError, describeValue, numberSetting } from './lib/errors';

interface AnnotateNodeDef extends NodeDef {
  showScores?: boolean;
  lineWidth?: number | string;
  fontSize?: number | string;
  quality?: number | string;
}

const isDetection = (d: unknown): d is DetectionLike => typeof d === 'object' && d !== null && 'box' in d && typeof (d as DetectionLike).box === 'object';

/** What to draw: the detections in msg.payload, else msg.annotations. */
function drawingOf(msg: NodeMessage, showScores: boolean): Annotation[] {
  const { payload } = msg;
  if (Array.isArray(payload) && payload.length > 0 && payload.every(isDetection)) return annotationsFrom(payload, showScores);
  const { annotations } = msg as { annotations?: unknown };
  if (Array.isArray(annotations)) return annotations as Annotation[];
  // A frame where nothing was found still goes out, undrawn.
  if (Array.isArray(payload) && payload.length === 0) return [];
  throw new EdgeAiError('noDrawing', { received: describeValue(payload) });
}

/** The frame: msg.image, raw RGB when msg.frame says so. */
function frameOf(msg: NodeMessage): { image: Buffer; raw?: { width: number; height: number } } {
  const { image, frame } = msg as { image?: unknown; frame?: { format?: string; width?: number; height?: number } };
  if (!Buffer.isBuffer(image)) throw new EdgeAiError('noFrame', { received: describeValue(image) });
  if (frame?.format === 'rgb' && frame.width && frame.height) {
    if (image.length !== frame.width * frame.height * 3) throw new EdgeAiError('rawFrameSize', { expected: frame.width * frame.height * 3, width: frame.width, height: frame.height, received: image.length });
    return { image, raw: { width: frame.width, height: frame.height } };
  }
  return { image };
}

module.exports = function register(RED: NodeAPI): void {
  function EdgeAiAnnotateNode(this: Node, def: AnnotateNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node, RED, 'edge-ai-annotate');
    const rate = new RateMeter();
    let options: DrawOptions | undefined;
    let setupError: Error | undefined;
    const showScores = def.showScores !== false;
    try {
      options = {
        lineWidth: numberSetting('lineWidth', def.lineWidth, 0, 0, 50),
        fontSize: numberSetting('fontSize', def.fontSize, 0, 0, 200),
        quality: numberSetting('quality', def.quality, 80, 1, 100, true),
      };
    } catch (err) {
      setupError = localError(RED, err);
      status.error(setupError);
    }
    // One drawing at a time, so frames leave in the order they came.
    let drawing: Promise<void> = Promise.resolve();

    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      if (setupError || !options) return done(setupError);
      const drawOptions = options;
      drawing = drawing.then(async () => {
        try {
          const annotations = drawingOf(msg, showScores);
          const { image, raw } = frameOf(msg);
          const jpeg = await drawAnnotations(image, annotations, drawOptions, raw);
          if (Array.isArray(msg.payload) && msg.payload.every(isDetection)) (msg as { detections?: unknown }).detections = msg.payload;
          msg.payload = jpeg;
          (msg as { annotations?: unknown }).annotations = annotations;
          status.routine('ready', 'drawn', { count: annotations.length, fps: rate.tick().toFixed(1) });
          send(msg);
          done();
        } catch (err) {
          const local = localError(RED, err);
          status.error(local);
          done(local);
        }
      });
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.clear();
      drawing.then(done, done);
    });
  }
  RED.nodes.registerType('edge-ai-annotate', EdgeAiAnnotateNode);
};
