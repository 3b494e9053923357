// edge-ai-collect: calibration frames from the flow itself. Sits between the camera and what
// follows, passes every frame on, and while collecting keeps N of them, spread over time, as
// JPEGs in a folder that `edge-ai-model quantize MODEL --images FOLDER` reads.
import './supported-platform';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { StatusLine, localError } from './adapter';
import { registerCollectAdmin, registerCollectControl, type AdminCommand, type CollectView } from './collect-admin';
import { CollectProgress, Collector, collectCommand, collectConfigFrom, refuseFolderFromMsg, type CollectEvent, type CollectSettings, type CollectStatus } from './lib/collect';
import type { FrameInfo } from './lib/image';

type CollectNodeDef = NodeDef & CollectSettings;

type CollectMsg = NodeMessageInFlow & { collect?: unknown; frame?: FrameInfo & { time?: number }; folder?: unknown; path?: unknown };

/** Draw what the engine decided: at once, or as a routine (rate-limited) update. */
function draw(status: StatusLine, change: CollectStatus | undefined): void {
  if (!change) return;
  if (change.now) status.show(change.kind, change.key, change.params);
  else status.routine(change.kind, change.key, change.params);
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
    const progress = collector && new CollectProgress(collector);
    if (progress) status.show('idle', 'idle');

    const folder = collector?.config.folder ?? '';
    const view = (event: CollectEvent): CollectView => ({ ...event, folder });
    /** A state change: under the node, in the log when done, and on output 2. */
    const announce = (event: CollectEvent): CollectView => {
      draw(status, progress!.state(event));
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
          else draw(status, progress!.frame(outcome, time));
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
