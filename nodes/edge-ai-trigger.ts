// edge-ai-trigger: start/end events from a label, score and count rule over infer results.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { StatusLine, localError } from './adapter';
import { numberSetting } from './lib/errors';
import { TriggerRule, resultsOf, type ResultLike, type TriggerEvent, type TriggerOptions } from './lib/trigger/rule';

interface TriggerNodeDef extends NodeDef {
  labels?: string;
  minScore?: number | string;
  minCount?: number | string;
  hold?: number | string;
  cooldown?: number | string;
}

function optionsFrom(def: TriggerNodeDef): TriggerOptions {
  return {
    labels: String(def.labels ?? '').split(',').map((l) => l.trim()).filter(Boolean),
    minScore: numberSetting('minScore', def.minScore, 0.5, 0, 1),
    minCount: numberSetting('minCount', def.minCount, 1, 1, 10000, true),
    holdMs: numberSetting('hold', def.hold, 2, 0, 86400) * 1000,
    cooldownMs: numberSetting('cooldown', def.cooldown, 0, 0, 86400) * 1000,
  };
}

module.exports = function register(RED: NodeAPI): void {
  function EdgeAiTriggerNode(this: Node, def: TriggerNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node, RED, 'edge-ai-trigger');
    let rule: TriggerRule | undefined;
    let setupError: Error | undefined;
    try {
      rule = new TriggerRule(optionsFrom(def));
      status.show('idle', 'idle');
    } catch (err) {
      setupError = localError(RED, err);
      status.error(setupError);
    }
    let holdTimer: NodeJS.Timeout | undefined;
    let lastTopic: string | undefined;

    function showState(event: TriggerEvent): void {
      if (event.type === 'start') status.show('working', 'active', { labels: event.labels.join(', '), count: event.count });
      else status.show('idle', 'idle');
    }

    /** An end can fall due while no frames arrive (camera stopped): a timer sends it then. */
    function armHoldTimer(active: TriggerRule): void {
      clearTimeout(holdTimer);
      const deadline = active.nextDeadline();
      if (deadline === undefined) return;
      holdTimer = setTimeout(() => {
        const event = active.tick(Date.now());
        // Timers may fire a millisecond before the clock says the hold is over: try again then.
        if (!event) return armHoldTimer(active);
        showState(event);
        node.send({ topic: lastTopic, payload: event, detections: [] });
      }, Math.max(0, deadline - Date.now()));
    }

    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      if (!rule) return done(setupError);
      let results: ResultLike[];
      try {
        results = resultsOf(msg.payload);
      } catch (err) {
        return done(localError(RED, err));
      }
      lastTopic = msg.topic;
      const event = rule.update(results, Date.now());
      armHoldTimer(rule);
      if (event) {
        showState(event);
        msg.detections = results;
        msg.payload = event;
        send(msg);
      }
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearTimeout(holdTimer);
      status.clear();
      done();
    });
  }
  RED.nodes.registerType('edge-ai-trigger', EdgeAiTriggerNode);
};
