// edge-ai-annotate: draws detections (or any msg.annotations list) onto the original frame and
// sends it on as JPEG, for dashboards and snapshots.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { RateMeter, StatusLine, localError } from './adapter';
import { detectionsIn, drawAnnotations, drawingFor, overlaysFrom, type DrawOptions } from './lib/annotate/draw';
import type { FrameInfo } from './lib/image/decode';
import { numberSetting } from './lib/errors';
import { maxPixelsSetting } from './lib/image/limits';
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
    let drawing: Promise<void> = Promise.resolve();

    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      if (setupError || !options) return done(setupError);
      const drawOptions = options;
      drawing = drawing.then(async () => {
        try {
          const extra = msg as { image?: unknown; frame?: FrameInfo; annotations?: unknown; detections?: unknown; zones?: unknown; lines?: unknown };
          // Zones and counting lines from edge-ai-trigger go under the boxes.
          const annotations = [...overlaysFrom(extra.zones, extra.lines), ...drawingFor(msg.payload, extra.annotations, showScores)];
          const jpeg = await drawAnnotations(extra.image, extra.frame, annotations, drawOptions);
          const detections = detectionsIn(msg.payload);
          if (detections) extra.detections = detections;
          msg.payload = jpeg;
          extra.annotations = annotations;
          rememberFrame(node.id, jpeg);
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
      forgetFrame(node.id);
      drawing.then(done, done);
    });
  }
  RED.nodes.registerType('edge-ai-annotate', EdgeAiAnnotateNode);
};
