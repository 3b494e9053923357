// edge-ai-camera: frames from a test pattern, files, snapshots (pulled at a pace) or from a
// supervised capture (video file, RTSP/HTTP stream, HTTP MJPEG, V4L2, Pi camera), continuously
// or one per input msg. The camera itself is the engine's Camera; this adapts it to msgs.
import './supported-platform';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { RateMeter, StatusLine, localError } from './adapter';
import { registerHealth } from './health';
import { BAD_PART_TEXT, Camera, healthExpectation, redactUrl, type CameraFrame, type CameraSettings, type CameraState } from './lib/camera';
import { health, type CameraEntry } from './lib/health';
import type { FrameInfo } from './lib/image';
import { forgetFrame, registerPreview, rememberFrame } from './preview';

type CameraNodeDef = NodeDef & CameraSettings & { mode?: string; /** Whether msg.path / msg.url may name the source. */ msgSource?: boolean };
type CameraNode = Node<{ user: unknown; password: unknown }>;

/** A frame on a msg: payload and image are the same Buffer, msg.frame says what it is. */
function fill(node: Node, msg: NodeMessage, frame: CameraFrame): NodeMessage {
  msg.payload = frame.data;
  msg.image = frame.data;
  msg.frame = { source: frame.source, seq: frame.seq, time: frame.time, width: frame.width, height: frame.height, format: frame.format ?? 'jpeg' };
  rememberFrame(node.id, frame.data, msg.frame as FrameInfo);
  return msg;
}

/**
 * The camera's state in its status; in the log one line when a capture fails and one when
 * frames come again, not one per retry.
 */
function stateReporter(RED: NodeAPI, node: Node, status: StatusLine, entry: CameraEntry, count: () => number): (state: CameraState) => void {
  let failing = false;
  return (state) => {
    entry.state(state.state);
    if (state.state === 'reconnecting') entry.failed(redactUrl(state.reason));
    if (state.state === 'starting') status.show('loading', 'starting');
    else if (state.state === 'onDemand') status.show('ready', 'onDemand');
    else if (state.state === 'finished') status.show('idle', 'finished', { count: count() });
    else if (state.state === 'connecting') status.show('loading', 'connecting');
    else if (state.state === 'streaming' && failing) {
      failing = false;
      node.log(RED._('edge-ai-camera.log.recovered'));
    } else if (state.state === 'reconnecting') {
      const reason = redactUrl(state.reason);
      status.show('loading', 'reconnecting', { seconds: (state.delayMs / 1000).toFixed(1), reason });
      if (!failing) node.warn(RED._('edge-ai-camera.log.failing', { reason }));
      failing = true;
    }
  };
}

module.exports = function register(RED: NodeAPI): void {
  registerPreview(RED);
  registerHealth(RED);

  function EdgeAiCameraNode(this: CameraNode, def: CameraNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node, RED, 'edge-ai-camera');
    const rate = new RateMeter();
    const entry = health.camera(node.id, node.name || node.id, healthExpectation(def));
    const reportError = (err: unknown): Error => {
      const local = localError(RED, err);
      status.error(local);
      entry.failed(local);
      return local;
    };

    let camera: Camera | undefined;
    let setupError: Error | undefined;
    try {
      const stored = node.credentials ?? {};
      const credentials = { user: stored.user ? String(stored.user) : undefined, password: stored.password ? String(stored.password) : undefined };
      camera = Camera.fromSettings(def, RED.settings.userDir ?? process.cwd(), credentials, {
        frame: (frame) => {
          entry.frame();
          node.send(fill(node, {}, frame));
          const fps = rate.tick().toFixed(1);
          const bad = camera?.badParts;
          entry.drops((camera?.skipped ?? 0) + (bad?.count ?? 0));
          if (bad?.count) status.routine('ready', 'streamingBad', { fps, seq: frame.seq, bad: bad.count, reason: BAD_PART_TEXT[bad.reason!] });
          else if (camera?.pushed) status.routine('ready', 'streamingSkipped', { fps, seq: frame.seq, skipped: camera.skipped });
          else status.routine('ready', 'streaming', { fps, seq: frame.seq });
        },
        // With a msg, so that a Catch node hears it; the msg says which file or URL failed.
        error: (err) => node.error(reportError(err), { frame: { source: (err as { params?: { path?: unknown } }).params?.path } }),
        state: stateReporter(RED, node, status, entry, () => camera?.count ?? 0),
      });
    } catch (err) {
      setupError = reportError(err);
      entry.state('failed');
      node.error(setupError);
    }
    camera?.start();

    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      if (!camera) return done(setupError);
      if (camera.continuous) {
        // Continuous cameras take "stop" and "start".
        const command = camera.command(msg.payload);
        if (command) {
          entry.running(command === 'start');
          status.show(command === 'stop' ? 'idle' : 'ready', command === 'stop' ? 'stopped' : 'started');
        }
        return done();
      }
      const { path, url } = msg as { path?: unknown; url?: unknown };
      const current = camera;
      current.grab({ path, url }).then((frame) => {
        if (frame) {
          entry.frame();
          send(fill(node, msg, frame));
          status.routine('ready', 'frames', { seq: frame.seq });
        } else if (!current.pushed) {
          status.show('idle', 'finished', { count: current.count });
        }
        done();
      }, (err) => done(reportError(err)));
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      forgetFrame(node.id);
      entry.release();
      status.clear();
      const closing = camera?.close() ?? Promise.resolve();
      camera = undefined;
      closing.then(() => done(), () => done());
    });
  }
  RED.nodes.registerType('edge-ai-camera', EdgeAiCameraNode, {
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
  });
};
