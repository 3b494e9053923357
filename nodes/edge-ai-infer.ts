// edge-ai-infer: sends tensors to the model's worker and puts the decoded results in msg.payload.
import './supported-platform';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { StatusLine, localError, releaseThen } from './adapter';
import { annotationsFrom } from './lib/annotate';
import { EdgeAiError } from './lib/errors';
import { countLabels, shortLabel, type Detection } from './lib/decode';
import {
  InferencePump, decodeRequest, inferSettings, resultPayload, type InferNodeSettings, type InferSettings, type ModelHost, type RunOutput,
} from './lib/model';
import type { ModelNode } from './model-node';

type InferNodeDef = NodeDef & InferNodeSettings & { model: string };

interface Job {
  msg: NodeMessageInFlow;
  send: (msg: NodeMessage) => void;
  done: (err?: Error) => void;
  receivedAt: number;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** What answering a job needs of its node. */
interface Answering {
  RED: NodeAPI;
  status: StatusLine;
  pump: InferencePump<Job>;
  closing(): boolean;
}

/** One job through the model: the result on the msg, sent on; a failure through done(err). */
function answer({ RED, status, pump, closing }: Answering, active: ModelHost, decoding: InferSettings, job: Job): Promise<void> {
  const sentAt = Date.now();
  return Promise.resolve()
    .then(() => active.run(active.validate(job.msg.payload), decodeRequest(active.info.task, decoding, job.msg.transform)))
    .then(
      (result) => {
        const { msg } = job;
        msg.payload = resultPayload(result.output);
        // The same detections as drawing instructions, for edge-ai-annotate or node-red-node-annotate-image.
        if (active.info.task === 'detection') msg.annotations = annotationsFrom(msg.payload as Detection[]);
        msg.inference = {
          model: path.basename(active.info.path), sha256: result.sha256, latencyMs: round(result.latencyMs), runMs: round(result.runMs),
          queuedMs: sentAt - job.receivedAt, dropped: pump.dropped,
        };
        status.routine('working', pump.dropped ? 'statsDropped' : 'stats', {
          found: found(RED, result.output), latency: result.latencyMs.toFixed(result.latencyMs < 10 ? 1 : 0), dropped: pump.dropped,
        });
        job.send(msg);
        job.done();
      },
      (err) => {
        // Live mode drops frames anyway; batch mode promises each msg a result or an error.
        if (closing() && pump.mode === 'live') return job.done();
        const local = localError(RED, err);
        status.error(local);
        job.done(local);
      },
    );
}

/** What a result holds, for the status: "2× person, 1× dog", "macaw 0.93" or "3 outputs". */
function found(RED: NodeAPI, output: RunOutput): string {
  const say = (key: string, params?: Record<string, string | number>): string => RED._(`edge-ai-infer.status.${key}`, params);
  if (!Array.isArray(output)) return say('outputs', { count: Object.keys(output).length });
  if (!output.length) return say('nothing');
  if (!('box' in output[0])) return say('best', { label: shortLabel(output[0].label), score: output[0].score.toFixed(2) });
  const { counts, more } = countLabels(output);
  return [...counts.map(({ label, count }) => say('count', { label, count })), ...(more ? [say('more', { count: more })] : [])].join(', ');
}

/** The node's settings checked at deploy, or the error that keeps it from running. */
function inferSetup(RED: NodeAPI, def: InferNodeDef, modelNode: ModelNode | null): { settings?: InferSettings; error?: Error } {
  if (!modelNode) return { error: new Error(RED._('edge-ai-infer.errors.noModel')) };
  try {
    return { settings: inferSettings(def) };
  } catch (err) {
    return { error: localError(RED, err) };
  }
}

module.exports = function register(RED: NodeAPI): void {
  function EdgeAiInferNode(this: Node, def: InferNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node, RED, 'edge-ai-infer');
    const modelNode = RED.nodes.getNode(def.model) as ModelNode | null;
    const setup = inferSetup(RED, def, modelNode);
    const settings = setup.settings;
    let setupError = setup.error;
    if (setupError) status.error(setupError);

    const pump = new InferencePump<Job>(settings?.mode ?? 'live', settings?.queueSize ?? 1);
    let host: ModelHost | undefined;
    let closing = false;
    let stopListening: (() => void) | undefined;
    const lease = !setupError && modelNode ? modelNode.acquire() : undefined;
    if (lease && settings) {
      const decoding = settings;
      status.show('loading', 'loading');
      lease.ready.then(
        (ready) => {
          if (closing) return;
          host = ready;
          status.show('ready', 'ready', { model: path.basename(ready.info.path) });
          stopListening = ready.onEvent((event) => {
            if (event.type === 'reloaded') status.show('ready', 'reloaded', { model: path.basename(event.info.path) });
            else status.error(localError(RED, event.error));
          });
          pump.start((job) => answer({ RED, status, pump, closing: () => closing }, ready, decoding, job));
        },
        (err) => {
          setupError = localError(RED, err);
          status.error(setupError);
          for (const job of pump.close()) job.done(setupError);
        },
      );
    }

    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      if (setupError) return done(setupError);
      if (msg.reload === true) {
        // A control msg: reload the model file; the result shows in the status, nothing is sent.
        if (!host) return done(new Error(RED._('edge-ai-infer.errors.notLoaded')));
        host.reload().then(() => done(), (err) => done(localError(RED, err)));
        return;
      }
      try {
        pump.push({ msg, send, done, receivedAt: Date.now() })?.done();
      } catch (err) {
        done(localError(RED, err));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      stopListening?.();
      // Waiting frames of live mode are dropped as newer ones would replace them; batch msgs get an error.
      const cutOff = pump.mode === 'batch' ? localError(RED, new EdgeAiError('cutOff')) : undefined;
      for (const job of pump.close()) job.done(cutOff);
      status.clear();
      releaseThen(lease, done);
    });
  }
  RED.nodes.registerType('edge-ai-infer', EdgeAiInferNode);
};
