// edge-ai-preprocess: image Buffer in msg.payload -> model input tensor + msg.transform.
import './supported-platform';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { StatusLine, localError, releaseThen } from './adapter';
import { choiceSetting, numberSetting } from './lib/settings';
import { DEFAULT_MAX_PIXELS, maxPixelsSetting, preprocessImage, type FrameInfo, type PreprocessSpec } from './lib/image';
import { preprocessSpecFrom, type ModelLease, type PreprocessSettings } from './lib/model';
import { OrderedOutput } from './lib/ordered';
import type { ModelNode } from './model-node';

interface PreprocessNodeDef extends NodeDef, Omit<PreprocessSettings, 'resize'> {
  /** Not "resize": the editor uses node.resize as its own redraw flag. */
  resizeMode?: string;
  settings?: string;
  model?: string;
  width?: number | string;
  height?: number | string;
  layout?: string;
  dtype?: string;
  materialize?: boolean;
  /** Largest image decoded, in megapixels. */
  maxMegapixels?: number | string;
}

/** Manual mode: everything from this node's own fields. */
function manualSpec(def: PreprocessNodeDef): PreprocessSpec {
  return preprocessSpecFrom({ ...def, resize: def.resizeMode }, {
    width: numberSetting('width', def.width, 224, 1, 8192, true),
    height: numberSetting('height', def.height, 224, 1, 8192, true),
    layout: choiceSetting('layout', def.layout, 'nchw', ['nchw', 'nhwc'] as const),
    type: choiceSetting('dtype', def.dtype, 'float32', ['float32', 'uint8'] as const),
  });
}

module.exports = function register(RED: NodeAPI): void {
  function EdgeAiPreprocessNode(this: Node, def: PreprocessNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node, RED, 'edge-ai-preprocess');
    const materialize = def.materialize === true;
    let lease: ModelLease | undefined;
    let spec: Promise<PreprocessSpec>;
    let maxPixels = DEFAULT_MAX_PIXELS;
    try {
      maxPixels = maxPixelsSetting(def.maxMegapixels);
      const fromModel = choiceSetting('settings', def.settings, 'model', ['model', 'manual']) === 'model';
      if (fromModel) {
        const modelNode = RED.nodes.getNode(def.model ?? '') as ModelNode | null;
        if (!modelNode) throw new Error(RED._('edge-ai-preprocess.errors.noModel'));
        const held = modelNode.acquire();
        lease = held;
        status.show('loading', 'waiting');
        spec = held.ready.then((host) => modelNode.preprocessSpec(host.info));
      } else {
        spec = Promise.resolve(manualSpec(def));
      }
    } catch (err) {
      spec = Promise.reject(err);
    }
    spec.then(
      (s) => status.show('ready', 'ready', { width: s.width, height: s.height, resize: s.resize }),
      (err) => status.error(localError(RED, err)),
    );

    // Images decode side by side on sharp's threads but leave in arrival order.
    const ordered = new OrderedOutput();
    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      const image = msg.payload;
      ordered.parallel(() => spec.then((s) => preprocessImage(image, msg.frame as FrameInfo | undefined, s, materialize, maxPixels)), {
        value: ({ tensor, transform }) => {
          // Keep the original frame for nodes that draw on it later.
          if (msg.image === undefined && (Buffer.isBuffer(image) || typeof image === 'string')) msg.image = image;
          msg.payload = tensor;
          msg.transform = transform;
          send(msg);
          done();
        },
        error: (err) => done(localError(RED, err)),
      });
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.clear();
      releaseThen(lease, done);
    });
  }
  RED.nodes.registerType('edge-ai-preprocess', EdgeAiPreprocessNode);
};
