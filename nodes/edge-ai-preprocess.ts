// edge-ai-preprocess: image Buffer in msg.payload -> model input tensor + msg.transform.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { StatusLine, localError } from './adapter';
import { choiceSetting, numberSetting } from './lib/errors';
import type { FrameInfo } from './lib/image/decode';
import { preprocessImage, type PreprocessSpec } from './lib/image/preprocess';
import { DEFAULT_MAX_PIXELS, maxPixelsSetting } from './lib/image/limits';
import { preprocessSpecFrom, type PreprocessSettings } from './lib/model/config';
import type { ModelLease } from './lib/model/registry';
import type { ModelNode } from './edge-ai-model';

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

    // Images decode in parallel on sharp's threads but leave in arrival order: a small image
    // must not overtake a large one, or frames would reach the model out of sequence.
    let previous: Promise<unknown> = Promise.resolve();
    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      const image = msg.payload;
      const work = spec.then((s) => preprocessImage(image, msg.frame as FrameInfo | undefined, s, materialize, maxPixels));
      // Its failure is handled when its turn comes; until then Node would call it unhandled.
      work.catch(() => undefined);
      const inOrder = previous.then(() => work);
      previous = inOrder.catch(() => undefined);
      inOrder
        .then(
          ({ tensor, transform }) => {
            // Keep the original frame for nodes that draw on it later.
            if (msg.image === undefined && Buffer.isBuffer(image)) msg.image = image;
            msg.payload = tensor;
            msg.transform = transform;
            send(msg);
            done();
          },
          (err) => done(localError(RED, err)),
        );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.clear();
      (lease ? lease.release() : Promise.resolve()).then(done, done);
    });
  }
  RED.nodes.registerType('edge-ai-preprocess', EdgeAiPreprocessNode);
};
