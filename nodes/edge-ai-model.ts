// edge-ai-model: config node for one ONNX model. The model is loaded in a worker owned by the
// shared registry; this node and every node using it hold a lease, the last release stops it.
// With source "update", it serves what an edge-ai-model-update node installs.
import './supported-platform';
import * as path from 'node:path';
import type { NodeAPI, NodeDef } from 'node-red';
import { localError } from './adapter';
import { registerHealth } from './health';
import { health } from './lib/health';
import { choosePromotion, promotionThresholds, type PromotionSettings } from './lib/int8';
import { expandPath } from './lib/paths';
import { downloadLog, modelCacheDir, registerModelAdmin } from './model-admin';
import { configuredModel, modelPreprocessSpec, models, modelSummary, resolveModelConfig, type ModelConfig, type ModelInfo, type ModelLease, type ModelNodeSettings } from './lib/model';
import { updateDeviceFor, type UpdateDevice } from './lib/update';
import type { DeployedFiles, ModelNode } from './model-node';
import type { PreprocessSpec } from './lib/image';

type ModelNodeDef = NodeDef & ModelNodeSettings & PromotionSettings;

module.exports = function register(RED: NodeAPI): void {
  function EdgeAiModelNode(this: ModelNode, def: ModelNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const baseDir = RED.settings.userDir ?? process.cwd();
    // An unnamed model node is named after its model in the log ("[edge-ai-model:yolov8n-coco]"), as in the editor.
    node.name ||= path.basename(configuredModel(def));
    const entry = health.model(node.id, node.name);
    // A model that cannot be used: in the log and on the health board.
    const fail = (err: unknown): void => {
      const local = localError(RED, err);
      entry.failed(local);
      node.error(local);
    };
    let updates: UpdateDevice | undefined;
    let resolved: Promise<ModelConfig>;
    try {
      updates = updateDeviceFor(def, baseDir);
      node.updates = updates;
      resolved = updates
        ? updates.servedConfig(def, baseDir)
        : resolveModelConfig(def, baseDir, modelCacheDir(baseDir), { onProgress: downloadLog(RED, (text) => node.log(text)) });
    } catch (err) {
      resolved = Promise.reject(err);
    }
    const stopUpdates = updates ? reportUpdates(updates) : undefined;
    // With an int8 candidate, it is served only when its shadow check passes this node's thresholds.
    const candidate = updates ? '' : String(def.int8Candidate ?? '').trim();
    const config = !candidate ? resolved : resolved.then(async (fp32) => {
      const { config: chosen, promotion } = await choosePromotion(fp32, expandPath(candidate, baseDir), promotionThresholds(def));
      entry.serving(promotion.served, promotion.reason);
      if (promotion.served === 'int8') node.log(RED._('edge-ai-model.log.int8Served', { reason: promotion.reason }));
      else node.warn(RED._('edge-ai-model.log.int8Refused', { reason: promotion.reason }));
      return chosen;
    });
    config.catch(fail);

    node.acquire = (): ModelLease => models.acquireLater(config);
    node.deployedFiles = async (): Promise<DeployedFiles> => {
      const { path: model } = await resolved;
      const optional = (text: unknown): string | undefined => (String(text ?? '').trim() ? expandPath(String(text), baseDir) : undefined);
      return { model, configured: configuredModel(def), candidate: optional(candidate), checkImages: optional(def.checkImages) };
    };
    node.preprocessSpec = (info: ModelInfo): PreprocessSpec => modelPreprocessSpec(def, info);

    // The node's own lease loads the model at deploy, before the first frame arrives.
    const own = node.acquire();
    let closed = false;
    // Each update switches through the model's hot reload.
    if (updates) stopUpdates!.push(updates.attach(own.ready, () => node.warn(RED._('edge-ai-model.log.installedNotLoaded'))));
    own.ready.then(
      (host) => {
        entry.ready();
        node.log(RED._('edge-ai-model.log.loaded', { summary: modelSummary(host.info) }));
        host.onEvent((event) => {
          if (event.type === 'reloaded') {
            entry.ready();
            node.log(RED._('edge-ai-model.log.reloaded', { summary: modelSummary(event.info) }));
          } else {
            const local = localError(RED, event.error);
            entry.warned(local);
            node.warn(local);
          }
        });
      },
      // Configuration errors were reported above; report load errors once, here.
      (err) => config.then(() => { if (!closed) fail(err); }, () => undefined),
    );
    /** An update-fed model: waiting for its first bundle in the log, its update state on the health board. */
    function reportUpdates(device: UpdateDevice): Array<() => void> {
      const state = device.store.state();
      entry.update(device.status(state));
      if (!state.current) node.log(RED._('edge-ai-model.log.waitingForBundle', { folder: device.store.root }));
      return [device.onChange((changed) => entry.update(device.status(changed)))];
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      for (const stop of stopUpdates ?? []) stop();
      entry.release();
      own.release().then(done, done);
    });
  }
  RED.nodes.registerType('edge-ai-model', EdgeAiModelNode);
  registerModelAdmin(RED);
  registerHealth(RED);
};
