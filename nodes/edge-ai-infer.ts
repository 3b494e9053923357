// edge-ai-infer: sends tensors to the model's worker and puts the decoded results in msg.payload.
import * as path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { StatusLine, localError } from './adapter';
import { annotationsFrom } from './lib/annotate/draw';
import { countLabels, shortLabel } from './lib/decode/summary';
import { classSettings, type Detection } from './lib/decode/yolo';
import { choiceSetting, numberSetting } from './lib/errors';
import type { ModelHost, RunResult } from './lib/model/host';
import type { DecodeRequest, RawTensor } from './lib/model/protocol';
import { WaitingQueue, type QueueMode } from './lib/model/queue';
import type { Transform } from './lib/image/transform';
import type { ModelNode } from './edge-ai-model';

interface InferNodeDef extends NodeDef {
  model: string;
  mode?: string;
  queueSize?: number | string;
  topK?: number | string;
  minScore?: number | string;
  confidence?: number | string;
  iou?: number | string;
  maxDetections?: number | string;
  classAgnostic?: boolean;
  classes?: string;
  classThresholds?: string;
}

interface Job {
  msg: NodeMessageInFlow;
  send: (msg: NodeMessage) => void;
  done: (err?: Error) => void;
  receivedAt: number;
}

interface DecodeSettings {
  mode: QueueMode;
  queueSize: number;
  topK: number;
  minScore: number;
  confidence: number;
  iou: number;
  maxDetections: number;
  classAgnostic: boolean;
  classes?: string[];
  classThresholds?: Record<string, number>;
}

function settingsFrom(def: InferNodeDef): DecodeSettings {
  return {
    mode: choiceSetting<QueueMode>('mode', def.mode, 'live', ['live', 'batch']),
    queueSize: numberSetting('queueSize', def.queueSize, 10, 1, 1000, true),
    topK: numberSetting('topK', def.topK, 5, 1, 100, true),
    minScore: numberSetting('minScore', def.minScore, 0, 0, 1),
    confidence: numberSetting('confidence', def.confidence, 0.25, 0, 1),
    iou: numberSetting('iou', def.iou, 0.45, 0, 1),
    maxDetections: numberSetting('maxDetections', def.maxDetections, 100, 1, 1000, true),
    classAgnostic: def.classAgnostic === true,
    ...classSettings(def.classes, def.classThresholds),
  };
}

function decodeRequest(task: string, s: DecodeSettings, msg: NodeMessage): DecodeRequest {
  if (task === 'classification') return { kind: 'classification', topK: s.topK, minScore: s.minScore };
  if (task === 'raw') return { kind: 'raw' };
  const transform = msg.transform as Transform | undefined;
  return {
    kind: 'detection',
    yolo: { confidence: s.confidence, iou: s.iou, maxDetections: s.maxDetections, classAgnostic: s.classAgnostic, classes: s.classes, classThresholds: s.classThresholds },
    transform: transform && typeof transform.scaleX === 'number' ? transform : undefined,
  };
}

/** Raw outputs become {data: Buffer, dims, type}: Buffers are shared, not deep-copied, on fan-out. */
function payloadOf(result: RunResult): unknown {
  if (Array.isArray(result.output)) return result.output;
  const raw: Record<string, { data: Buffer; dims: number[]; type: string }> = {};
  for (const [name, tensor] of Object.entries(result.output as Record<string, RawTensor>)) {
    raw[name] = { data: Buffer.from(tensor.data), dims: tensor.dims, type: tensor.type };
  }
  return raw;
}

module.exports = function register(RED: NodeAPI): void {
  function EdgeAiInferNode(this: Node, def: InferNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node, RED, 'edge-ai-infer');
    const modelNode = RED.nodes.getNode(def.model) as ModelNode | null;
    let setupError: Error | undefined;
    let settings: DecodeSettings | undefined;
    try {
      settings = settingsFrom(def);
    } catch (err) {
      setupError = localError(RED, err);
    }
    if (!modelNode) setupError ??= new Error(RED._('edge-ai-infer.errors.noModel'));
    if (setupError) status.error(setupError);

    const queue = new WaitingQueue<Job>(settings?.mode ?? 'live', settings?.queueSize ?? 1);
    let host: ModelHost | undefined;
    // Batch mode keeps a second frame waiting in the worker, so the model never idles while a
    // result travels back; live mode sends one at a time, so a newer frame can still replace the waiting one.
    const maxInFlight = settings?.mode === 'batch' ? 2 : 1;
    let inFlight = 0;
    let closing = false;
    let stopListening: (() => void) | undefined;
    const lease = !setupError && modelNode ? modelNode.acquire() : undefined;
    if (lease) {
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
          pump();
        },
        (err) => {
          setupError = localError(RED, err);
          status.error(setupError);
          for (const job of queue.drain()) job.done(setupError);
        },
      );
    }

    /** What the result holds, for the status: "2× person, 1× dog", "macaw 0.93" or "3 outputs". */
    function found(output: RunResult['output']): string {
      const say = (key: string, params?: Record<string, string | number>): string => RED._(`edge-ai-infer.status.${key}`, params);
      if (!Array.isArray(output)) return say('outputs', { count: Object.keys(output).length });
      if (!output.length) return say('nothing');
      if (!('box' in output[0])) return say('best', { label: shortLabel(output[0].label), score: output[0].score.toFixed(2) });
      const { counts, more } = countLabels(output);
      return [...counts.map(({ label, count }) => say('count', { label, count })), ...(more ? [say('more', { count: more })] : [])].join(', ');
    }

    function pump(): void {
      if (!host || !settings || inFlight >= maxInFlight || closing) return;
      const job = queue.shift();
      if (!job) return;
      inFlight++;
      const active = host;
      const decodeSettings = settings;
      const sentAt = Date.now();
      let running: Promise<RunResult>;
      try {
        const tensor = active.validate(job.msg.payload);
        running = active.run(tensor, decodeRequest(active.info.task, decodeSettings, job.msg));
      } catch (err) {
        running = Promise.reject(err);
      }
      running.then(
        (result) => {
          job.msg.payload = payloadOf(result);
          // The same detections as drawing instructions, for edge-ai-annotate or node-red-node-annotate-image.
          if (active.info.task === 'detection') job.msg.annotations = annotationsFrom(job.msg.payload as Detection[]);
          job.msg.inference = {
            model: path.basename(active.info.path), sha256: result.sha256, latencyMs: round(result.latencyMs), runMs: round(result.runMs),
            queuedMs: sentAt - job.receivedAt, dropped: queue.dropped,
          };
          status.routine('working', queue.dropped ? 'statsDropped' : 'stats', {
            found: found(result.output), latency: result.latencyMs.toFixed(result.latencyMs < 10 ? 1 : 0), dropped: queue.dropped,
          });
          job.send(job.msg);
          job.done();
        },
        (err) => {
          if (closing) return job.done();
          const local = localError(RED, err);
          status.error(local);
          job.done(local);
        },
      ).finally(() => {
        inFlight--;
        pump();
      });
      pump();
    }

    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      if (setupError) return done(setupError);
      if (msg.reload === true) {
        // A control msg: reload the model file; the result shows in the status, nothing is sent.
        if (!host) return done(new Error(RED._('edge-ai-infer.errors.notLoaded')));
        host.reload().then(() => done(), (err) => done(localError(RED, err)));
        return;
      }
      const job: Job = { msg, send, done, receivedAt: Date.now() };
      try {
        const replaced = queue.push(job);
        replaced?.done();
      } catch (err) {
        return done(localError(RED, err));
      }
      pump();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      stopListening?.();
      for (const job of queue.drain()) job.done();
      status.clear();
      (lease ? lease.release() : Promise.resolve()).then(done, done);
    });
  }
  RED.nodes.registerType('edge-ai-infer', EdgeAiInferNode);
};

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
