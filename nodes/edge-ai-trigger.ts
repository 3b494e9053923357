// edge-ai-trigger: events from infer results: start/end of a rule, and with zones and lines
// tracked objects entering, leaving, dwelling, crossing and being counted.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { StatusLine, localError } from './adapter';
import { EdgeAiError } from './lib/errors';
import { TriggerEngine, triggerConfigFrom, type FrameResult, type FrameSize, type TriggerSettings } from './lib/trigger/engine';
import { resultsOf, type TriggerEvent } from './lib/trigger/rule';
import { rememberFrame, forgetFrame, registerPreview } from './preview';

interface TriggerNodeDef extends NodeDef, TriggerSettings {
  /** Whether msg.rules may replace the settings. */
  msgRules?: boolean;
}

type FrameMsg = NodeMessageInFlow & {
  frame?: { width?: number; height?: number; time?: number; format?: string };
  transform?: { srcWidth?: number; srcHeight?: number };
  image?: unknown;
  rules?: Partial<TriggerSettings>;
};

/** The frame's size from the camera (msg.frame) or from preprocess (msg.transform). */
function frameSizeOf(msg: FrameMsg): FrameSize | undefined {
  const width = msg.frame?.width ?? msg.transform?.srcWidth;
  const height = msg.frame?.height ?? msg.transform?.srcHeight;
  return typeof width === 'number' && typeof height === 'number' ? { width, height } : undefined;
}

module.exports = function register(RED: NodeAPI): void {
  registerPreview(RED);

  function EdgeAiTriggerNode(this: Node, def: TriggerNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node, RED, 'edge-ai-trigger');
    // The node's own fields; triggerConfigFrom reads the settings it knows and ignores the rest.
    let settings: TriggerSettings = def;
    let engine: TriggerEngine | undefined;
    let setupError: Error | undefined;
    try {
      engine = new TriggerEngine(triggerConfigFrom(settings));
      status.show('idle', 'idle');
    } catch (err) {
      setupError = localError(RED, err);
      status.error(setupError);
    }
    let holdTimer: NodeJS.Timeout | undefined;
    let lastTopic: string | undefined;
    // Idle is shown once when the rule goes quiet, not on every frame.
    let idleShown = true;

    function showState(current: TriggerEngine, result?: FrameResult): void {
      const kind = current.ruleActive ? 'working' : 'ready';
      if (result?.tracks || current.ruleActive) idleShown = false;
      if (result?.tracks) {
        const parts = [
          ...result.zones.map((z) => `${z.name} ${z.count}`),
          ...result.lines.map((l) => `${l.name} ${l.directions.map((d) => `${d} ${l.totals[d] ?? 0}`).join(' / ')}`),
        ];
        status.routine(kind, 'tracking', { tracks: result.tracks.length, counts: parts.length ? `· ${parts.join(' · ')}` : '' });
      } else if (current.ruleActive) {
        status.routine(kind, 'active', { count: current.ruleCount, labels: current.config.rule.labels.join(', ') || '*' });
      } else if (!idleShown) {
        status.show('idle', 'idle');
        idleShown = true;
      }
    }

    /**
     * The event messages: copies of the frame's msg, each with one event as its payload. The
     * frame Buffer (msg.image) is shared, not copied per event, as Node-RED shares Buffers too.
     */
    function eventMessages(msg: FrameMsg, events: readonly TriggerEvent[], detections: unknown): NodeMessage[] {
      if (!events.length) return [];
      const { image, ...rest } = msg;
      return events.map((event) => ({ ...RED.util.cloneMessage(rest), ...(image === undefined ? {} : { image }), payload: event, detections }) as NodeMessage);
    }

    /** An end can fall due while no frames arrive (camera stopped): a timer sends it then. */
    function armHoldTimer(current: TriggerEngine): void {
      clearTimeout(holdTimer);
      const deadline = current.nextDeadline();
      if (deadline === undefined) return;
      holdTimer = setTimeout(() => {
        const event = current.tick(Date.now());
        // Timers may fire a millisecond before the clock says the hold is over: try again then.
        if (!event) return armHoldTimer(current);
        showState(current);
        node.send([{ topic: lastTopic, payload: event, detections: [] } as NodeMessage, null]);
      }, Math.max(0, deadline - Date.now()));
    }

    function changeRules(msg: FrameMsg): void {
      if (!def.msgRules) throw new EdgeAiError('msgRulesOff');
      const next = { ...settings, ...msg.rules };
      // Checked in full before anything changes: a bad msg.rules leaves the running rules alone.
      const replacement = new TriggerEngine(triggerConfigFrom(next));
      settings = next;
      engine = replacement;
      setupError = undefined;
      clearTimeout(holdTimer);
      status.show('idle', 'idle');
      idleShown = true;
    }

    node.on('input', (msg: FrameMsg, send: (m: Array<NodeMessage | NodeMessage[] | null>) => void, done: (err?: Error) => void) => {
      try {
        if (msg.rules !== undefined) {
          changeRules(msg);
          return done();
        }
        if (!engine) return done(setupError);
        const results = resultsOf(msg.payload);
        const time = typeof msg.frame?.time === 'number' && Number.isFinite(msg.frame.time) ? msg.frame.time : Date.now();
        const result = engine.update(results, frameSizeOf(msg), time);
        lastTopic = msg.topic;
        if (msg.image !== undefined) rememberFrame(node.id, msg.image, msg.frame);
        armHoldTimer(engine);
        showState(engine, result);
        const events = eventMessages(msg, result.events, result.results);
        Object.assign(msg, {
          payload: result.results, tracks: result.tracks, zones: result.zones, lines: result.lines,
        });
        send([events.length ? events : null, msg as NodeMessage]);
        done();
      } catch (err) {
        done(localError(RED, err));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearTimeout(holdTimer);
      forgetFrame(node.id);
      status.clear();
      done();
    });
  }
  RED.nodes.registerType('edge-ai-trigger', EdgeAiTriggerNode);
};
