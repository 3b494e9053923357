// edge-ai-collect: calibration frames from the flow itself. Sits between the camera and what
// follows, passes every frame on, and while collecting keeps N of them, spread over time, as
// JPEGs in a folder that `edge-ai-model quantize MODEL --images FOLDER` reads.
import './supported-platform';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { StatusLine, localError } from './adapter';
import { registerCollectAdmin, registerCollectControl, type AdminCommand, type CollectView } from './collect-admin';
import { Collector, collectCommand, collectConfigFrom, type CollectEvent, type CollectSettings, type FrameOutcome } from './lib/collect';
import { EdgeAiError } from './lib/errors';
import type { FrameInfo } from './lib/image';

type CollectNodeDef = NodeDef & CollectSettings;

type CollectMsg = NodeMessageInFlow & { collect?: unknown; frame?: FrameInfo & { time?: number }; folder?: unknown; path?: unknown };

/** The folder comes from the settings only: a msg naming one is refused, not quietly ignored. */
function refuseFolderFromMsg(msg: CollectMsg, folder: string): void {
  const named = msg.folder !== undefined ? 'msg.folder' : msg.collect !== undefined && msg.path !== undefined ? 'msg.path' : undefined;
  if (named) throw new EdgeAiError('collectMsgFolder', { what: named, path: folder });
}

/** The collector's state under the node: a change at once, progress at most once a second. */
function statusReporter(status: StatusLine, collector: Collector): { state(event: CollectEvent): void; frame(outcome: FrameOutcome, time: number): void } {
  const { folder, maxBytes } = collector.config;
  // Set when the byte budget turned a frame away, until a frame fits again.
  let limitHit = false;
  const state = (event: CollectEvent): void => {
    limitHit = false;
    const params = { kept: event.kept, count: event.count, folder };
    if (event.state === 'collecting') status.show('working', 'collecting', params);
    else if (event.state === 'done') status.show('ready', 'done', params);
    else if (event.state === 'stopped') status.show('idle', 'stopped', params);
    else status.show('idle', event.kept || event.seen ? 'idle' : 'emptied');
  };
  /** A frame that changed no state: progress, or the byte budget turning frames away. */
  const frame = (outcome: FrameOutcome, time: number): void => {
    const sampler = collector.sampler;
    if (sampler.state !== 'collecting' || outcome.skipped === 'busy') return;
    if (outcome.kept) limitHit = false;
    // The first frame the budget turns away is shown at once (yellow: the folder needs a look).
    const newlyHit = outcome.skipped === 'tooLarge' && !limitHit;
    if (outcome.skipped === 'tooLarge') limitHit = true;
    const last = sampler.lastKeptAt;
    const params = {
      kept: sampler.kept.length, count: sampler.config.count, seen: sampler.seen,
      ago: last === undefined ? 0 : Math.max(0, Math.round((time - last) / 1000)), limit: maxBytes / 1e6,
    };
    if (newlyHit) status.show('loading', 'tooLarge', params);
    else if (limitHit) status.routine('loading', 'tooLarge', params);
    else if (last === undefined) status.routine('working', 'collecting', params);
    else status.routine('working', sampler.full ? 'sampling' : 'collectingKept', params);
  };
  return { state, frame };
}

module.exports = function register(RED: NodeAPI): void {
  registerCollectAdmin(RED);

  function EdgeAiCollectNode(this: Node, def: CollectNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node, RED, 'edge-ai-collect');
    let collector: Collector | undefined;
    let setupError: Error | undefined;
    let closed = false;
    try {
      collector = new Collector(collectConfigFrom(def, RED.settings.userDir ?? process.cwd()), { owner: node.id });
    } catch (err) {
      setupError = localError(RED, err);
      status.error(setupError);
    }
    const reporter = collector && statusReporter(status, collector);
    if (reporter) status.show('idle', 'idle');

    const folder = collector?.config.folder ?? '';
    const view = (event: CollectEvent): CollectView => ({ ...event, folder });
    /** A state change: under the node, in the log when done, and on output 2. */
    const announce = (event: CollectEvent): CollectView => {
      reporter!.state(event);
      if (event.state === 'done') node.log(RED._('edge-ai-collect.log.done', { kept: event.kept, folder }));
      return view(event);
    };
    const reportError = (err: unknown): Error => {
      const local = localError(RED, err);
      status.error(local);
      return local;
    };

    const releaseControl = registerCollectControl(node.id, (asked: AdminCommand) => {
      if (!collector) return Promise.reject(setupError);
      const current = collector;
      const command = asked === 'toggle' ? (current.sampler.state === 'collecting' ? 'stop' : 'start') : asked;
      return current.command(command).then((event) => {
        if (!event) return view(current.sampler.event());
        const payload = announce(event);
        node.send([null, { payload } as NodeMessage]);
        return payload;
      }, (err) => {
        throw reportError(err);
      });
    });

    node.on('input', (msg: CollectMsg, send: (m: Array<NodeMessage | null>) => void, done: (err?: Error) => void) => {
      if (!collector) return done(setupError);
      const current = collector;
      try {
        refuseFolderFromMsg(msg, folder);
        if (msg.collect !== undefined) {
          // A command: answered on output 2 when it changes the state, not passed on.
          current.command(collectCommand(msg.collect)).then((event) => {
            if (event) {
              delete msg.collect;
              msg.payload = announce(event);
              send([null, msg as NodeMessage]);
            }
            done();
          }, (err) => done(reportError(err)));
          return;
        }
        const time = typeof msg.frame?.time === 'number' && Number.isFinite(msg.frame.time) ? msg.frame.time : Date.now();
        const stored = current.frame(msg.payload, msg.frame, time);
        // Inline between camera and preprocess: the frame goes on at once, stored or not.
        send([msg as NodeMessage, null]);
        stored.then((outcome) => {
          if (closed) return done();
          if (outcome.event) send([null, { topic: msg.topic, payload: announce(outcome.event) } as NodeMessage]);
          else reporter!.frame(outcome, time);
          done();
        }, (err) => done(reportError(err)));
      } catch (err) {
        done(reportError(err));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      releaseControl();
      status.clear();
      const closing = collector?.close() ?? Promise.resolve();
      collector = undefined;
      closing.then(() => done(), () => done());
    });
  }
  RED.nodes.registerType('edge-ai-collect', EdgeAiCollectNode);
};
