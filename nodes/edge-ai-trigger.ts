// edge-ai-trigger: events from infer results: start/end of a rule, and with zones and lines
// tracked objects entering, leaving, dwelling, crossing and being counted.
import './supported-platform';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { StatusLine, localError } from './adapter';
import { MAX_TRACKED, TriggerRunner, type FrameResult, type FrameSize, type TriggerEngine, type TriggerEvent, type TriggerSettings } from './lib/trigger';
import { rememberFrame, forgetFrame, registerPreview } from './preview';

interface TriggerNodeDef extends NodeDef, TriggerSettings {
  /** Whether msg.rules may replace the settings. */
  msgRules?: boolean;
}

type FrameMsg = NodeMessageInFlow & {
  frame?: { width?: number; height?: number; time?: number; format?: string };
  transform?: { srcWidth?: number; srcHeight?: number };
  image?: unknown;
  annotations?: unknown;
  rules?: Partial<TriggerSettings>;
};

/** The frame's size from the camera (msg.frame) or from preprocess (msg.transform). */
function frameSizeOf(msg: FrameMsg): FrameSize | undefined {
  const width = msg.frame?.width ?? msg.transform?.srcWidth;
  const height = msg.frame?.height ?? msg.transform?.srcHeight;
  return typeof width === 'number' && typeof height === 'number' ? { width, height } : undefined;
}

/**
 * The trigger's state in its status: tracks and counts, an active rule, or idle, shown once when
 * the rule goes quiet rather than on every frame. `reset()` after the rules changed.
 */
function statusReporter(status: StatusLine): { show(engine: TriggerEngine, result?: FrameResult): void; reset(): void } {
  let idleShown = false;
  const reset = (): void => {
    status.show('idle', 'idle');
    idleShown = true;
  };
  const show = (engine: TriggerEngine, result?: FrameResult): void => {
    const kind = engine.ruleActive ? 'working' : 'ready';
    if (result?.tracks || engine.ruleActive) idleShown = false;
    if (result?.tracks) {
      const parts = [
        ...result.zones.map((z) => `${z.name} ${z.count}`),
        ...result.lines.map((l) => `${l.name} ${l.directions.map((d) => `${d} ${l.totals[d] ?? 0}`).join(' / ')}`),
      ];
      status.routine(kind, 'tracking', { tracks: result.tracks.length, counts: parts.length ? `· ${parts.join(' · ')}` : '' });
    } else if (engine.ruleActive) {
      status.routine(kind, 'active', { count: engine.ruleCount, labels: engine.config.rule.labels.join(', ') || '*' });
    } else if (!idleShown) {
      reset();
    }
  };
  return { show, reset };
}

/**
 * The event messages: copies of the frame's msg, each with one event as its payload. Only the
 * msg's small properties are copied per event: the results it replaces are not copied at all,
 * and the frame (msg.image), the drawing list (msg.annotations) and the results the trigger
 * looked at (msg.detections) are shared, as Node-RED shares Buffers: a frame with 10,000
 * detections would otherwise copy them once per event.
 */
function eventMessages(RED: NodeAPI, msg: FrameMsg, events: readonly TriggerEvent[], detections: unknown): NodeMessage[] {
  if (!events.length) return [];
  const { image, annotations, payload: _replaced, ...rest } = msg;
  const shared = { ...(image === undefined ? {} : { image }), ...(annotations === undefined ? {} : { annotations }), detections };
  return events.map((event) => ({ ...RED.util.cloneMessage(rest), ...shared, payload: event }) as NodeMessage);
}

module.exports = function register(RED: NodeAPI): void {
  registerPreview(RED);

  function EdgeAiTriggerNode(this: Node, def: TriggerNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node, RED, 'edge-ai-trigger');
    const reporter = statusReporter(status);
    let lastTopic: string | undefined;
    // Said once: a flood of detections is a model or threshold problem, not news every frame.
    let warnedUntracked = false;
    // The node's own fields; triggerConfigFrom reads the settings it knows and ignores the rest.
    const runner = new TriggerRunner(def, {
      msgRules: def.msgRules === true,
      timedEvent: (event, engine) => {
        reporter.show(engine);
        node.send([{ topic: lastTopic, payload: event, detections: [] } as NodeMessage, null]);
      },
    });
    const setupError = runner.setupError === undefined ? undefined : localError(RED, runner.setupError);
    if (setupError) status.error(setupError);
    else reporter.reset();

    node.on('input', (msg: FrameMsg, send: (m: Array<NodeMessage | NodeMessage[] | null>) => void, done: (err?: Error) => void) => {
      try {
        if (msg.rules !== undefined) {
          runner.changeRules(msg.rules);
          reporter.reset();
          return done();
        }
        const time = typeof msg.frame?.time === 'number' && Number.isFinite(msg.frame.time) ? msg.frame.time : Date.now();
        const result = runner.update(msg.payload, frameSizeOf(msg), time);
        lastTopic = msg.topic;
        if (msg.image !== undefined) rememberFrame(node.id, msg.image, msg.frame);
        reporter.show(runner.engine!, result);
        if (runner.engine!.untracked && !warnedUntracked) {
          warnedUntracked = true;
          node.warn(RED._('edge-ai-trigger.log.untracked', { max: MAX_TRACKED, count: runner.engine!.untracked + MAX_TRACKED }));
        }
        const events = eventMessages(RED, msg, result.events, result.results);
        Object.assign(msg, { payload: result.results, tracks: result.tracks, zones: result.zones, lines: result.lines });
        // Output 2 is what the trigger looked at: infer's drawing of every result would make
        // annotate draw those only on frames where none of the trigger's labels was seen.
        delete msg.annotations;
        // One send() a msg: Node-RED deep-copies every msg after the first of one send() call, which
        // for a crowded frame meant copying all its results once per event and once more for output 2.
        for (const event of events) send([event, null]);
        send([null, msg as NodeMessage]);
        done();
      } catch (err) {
        done(localError(RED, err));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      runner.close();
      forgetFrame(node.id);
      status.clear();
      done();
    });
  }
  RED.nodes.registerType('edge-ai-trigger', EdgeAiTriggerNode);
};
