// edge-ai-annotate: draws detections (or any msg.annotations list) onto the original frame and
// sends it on as JPEG, for dashboards and snapshots.
import './supported-platform';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { RateMeter, StatusLine, localError } from './adapter';
import { detectionsIn, drawAnnotations, drawingFor, overlaysFrom, type Annotation, type DrawOptions } from './lib/annotate';
import { maxPixelsSetting, type FrameInfo } from './lib/image';
import { numberSetting } from './lib/settings';
import { OrderedOutput } from './lib/ordered';
import { forgetFrame, registerPreview, rememberFrame } from './preview';

interface AnnotateNodeDef extends NodeDef {
  showScores?: boolean;
  lineWidth?: number | string;
  fontSize?: number | string;
  quality?: number | string;
  /** Largest frame decoded, in megapixels. */
  maxMegapixels?: number | string;
}

module.exports = function register(RED: NodeAPI): void {
  registerPreview(RED);

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
        maxPixels: maxPixelsSetting(def.maxMegapixels),
      };
    } catch (err) {
      setupError = localError(RED, err);
      status.error(setupError);
    }
    // One drawing at a time, so frames leave in the order they came.
    const drawing = new OrderedOutput();
    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      if (setupError || !options) return done(setupError);
      const drawOptions = options;
      const extra = msg as { image?: unknown; frame?: FrameInfo; annotations?: unknown; detections?: unknown; zones?: unknown; lines?: unknown };
      // Zones and counting lines from edge-ai-trigger go under the boxes.
      let annotations: Annotation[] = [];
      drawing.serial(() => {
        annotations = [...overlaysFrom(extra.zones, extra.lines), ...drawingFor(msg.payload, extra.annotations, showScores)];
        return drawAnnotations(extra.image, extra.frame, annotations, drawOptions);
      }, {
        value: (jpeg) => {
          const detections = detectionsIn(msg.payload);
          if (detections) extra.detections = detections;
          msg.payload = jpeg;
          extra.annotations = annotations;
          rememberFrame(node.id, jpeg);
          status.routine('ready', 'drawn', { count: annotations.length, fps: rate.tick().toFixed(1) });
          send(msg);
          done();
        },
        error: (err) => {
          const local = localError(RED, err);
          status.error(local);
          done(local);
        },
      });
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.clear();
      forgetFrame(node.id);
      drawing.idle().then(done, done);
    });
  }
  RED.nodes.registerType('edge-ai-annotate', EdgeAiAnnotateNode);
};
