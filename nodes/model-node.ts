// What an edge-ai-model config node offers the nodes and admin routes that use it: kept apart
// from the node's module so that those can name it without importing the node itself.
import type { Node } from 'node-red';
import type { PreprocessSpec } from './lib/image';
import type { ModelInfo, ModelLease } from './lib/model';
import type { UpdateDevice } from './lib/update';

export interface ModelNode extends Node {
  /** Hold the model for a user node; the caller releases the lease on close. */
  acquire(): ModelLease;
  /** Preprocessing for "from model" mode, once the model has loaded. */
  preprocessSpec(info: ModelInfo): PreprocessSpec;
  /** With source "update": where its bundles are applied (an edge-ai-model-update node feeds it). */
  updates?: UpdateDevice;
  /**
   * The files its dialog's report and int8 check name, as the runtime expanded them at deploy
   * (the admin routes never expand `${NAME}` from a request), and the path as configured.
   */
  deployedFiles(): Promise<DeployedFiles>;
}

export interface DeployedFiles {
  model: string;
  /** The model's path as the flow writes it (`${EDGE_AI_MODELS}/…`): what a report may show. */
  configured: string;
  candidate?: string;
  checkImages?: string;
}
