// edge-ai-camera: frames from a test pattern, files, snapshots (pulled at a pace) or from a
// supervised capture (video file, RTSP/HTTP stream, HTTP MJPEG, V4L2, Pi camera), continuously
// or one per input msg.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { RateMeter, StatusLine, localError } from './adapter';
import {
  PULL_SOURCES, cameraPace, messageSource, pullSource, pushCamera, sourceKind, type CameraSettings, type Credentials, type PushCamera,
} from './lib/camera/capture-config';
import { EdgeAiError } from './lib/errors';
import { redactUrl } from './lib/camera/ffmpeg';
import { FrameGate } from './lib/camera/gate';
import { FramePacer } from './lib/camera/pacer';
import type { Frame, FrameSource } from './lib/camera/sources';
import type { CaptureState } from './lib/camera/supervisor';
import type { FrameInfo } from './lib/image/decode';
import { jpegDisplaySize } from './lib/image/jpeg-size';
import { forgetFrame, registerPreview, rememberFrame } from './preview';

type CameraNodeDef = NodeDef & CameraSettings & { mode?: string; /** Whether msg.path / msg.url may name the source. */ msgSource?: boolean };
type CameraNode = Node<{ user: unknown; password: unknown }>;

module.exports = function register(RED: NodeAPI): void {
  registerPreview(RED);

  function EdgeAiCameraNode(this: CameraNode, def: CameraNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node, RED, 'edge-ai-camera');
    const rate = new RateMeter();
    const baseDir = RED.settings.userDir ?? process.cwd();
    let seq = 0;
    let closing = false;

    /** Put a frame on a msg per DESIGN §3: payload and image are the same Buffer. */
    function fill(msg: NodeMessage, frame: Frame): NodeMessage {
      msg.payload = frame.data;
      msg.image = frame.data;
      msg.frame = { source: frame.source, seq: ++seq, time: Date.now(), width: frame.width, height: frame.height, format: frame.format ?? 'jpeg' };
      rememberFrame(node.id, frame.data, msg.frame as FrameInfo);
      return msg;
    }
    const reportError = (err: unknown): Error => {
      const local = localError(RED, err);
      status.error(local);
      return local;
    };

    let continuous = true;
    let pulled: FrameSource | undefined;
    let pacer: FramePacer | undefined;
    let pushed: PushCamera | undefined;
    let makePushed: (() => PushCamera) | undefined;
    let pushStopped: Promise<void> | undefined;
    let gate: FrameGate<Frame> | undefined;
    let latest: Frame | undefined;
    let waiting: Array<{ msg: NodeMessage; send: (m: NodeMessage) => void; done: (err?: Error) => void }> = [];
    let setupError: Error | undefined;

    /** A pushed frame: to the rate gate (continuous) or kept for the next input msg. */
    function onPushed(data: Buffer, camera: PushCamera): void {
      const { raw, label } = camera;
      const size = raw ?? jpegDisplaySize(data);
      const frame: Frame = { data, width: size?.width ?? 0, height: size?.height ?? 0, source: label, format: raw ? 'rgb' : 'jpeg' };
      if (gate) return gate.offer(frame);
      latest = frame;
      for (const w of waiting.splice(0)) {
        w.send(fill(w.msg, frame));
        w.done();
      }
    }

    // The log gets one line when a capture fails and one when frames come again, not one per retry.
    let failing = false;
    function onState(state: CaptureState): void {
      if (closing) return;
      if (state.state === 'connecting') status.show('loading', 'connecting');
      else if (state.state === 'streaming' && failing) {
        failing = false;
        node.log(RED._('edge-ai-camera.log.recovered'));
      } else if (state.state === 'reconnecting') {
        const reason = redactUrl(state.reason);
        status.show('loading', 'reconnecting', { seconds: (state.delayMs / 1000).toFixed(1), reason });
        if (!failing) node.warn(RED._('edge-ai-camera.log.failing', { reason }));
        failing = true;
      }
    }

    try {
      const settings: CameraSettings = def;
      const kind = sourceKind(settings);
      const pace = cameraPace(def);
      continuous = pace.continuous;
      const stored = node.credentials ?? {};
      const credentials: Credentials = { user: stored.user ? String(stored.user) : undefined, password: stored.password ? String(stored.password) : undefined };
      if ((PULL_SOURCES as readonly string[]).includes(kind)) {
        pulled = pullSource(kind as (typeof PULL_SOURCES)[number], settings, baseDir, credentials);
        if (continuous) {
          pacer = new FramePacer(pulled, pace.fps, {
            frame: (frame) => {
              node.send(fill({}, frame));
              status.routine('ready', 'streaming', { fps: rate.tick().toFixed(1), seq });
            },
            error: (err) => node.error(reportError(err)),
            end: () => status.show('idle', 'finished', { count: seq }),
          });
        }
      } else {
        // A stopped capture cannot start again; "start" makes a new one.
        makePushed = () => {
          const camera: PushCamera = pushCamera(kind as Exclude<typeof kind, (typeof PULL_SOURCES)[number]>, settings, baseDir, credentials, {
            frame: (data) => onPushed(data, camera),
            state: onState,
          });
          return camera;
        };
        pushed = makePushed();
        if (continuous) {
          gate = new FrameGate<Frame>(pace.fps, (frame) => {
            node.send(fill({}, frame));
            status.routine('ready', 'streamingSkipped', { fps: rate.tick().toFixed(1), seq, skipped: gate?.skipped ?? 0 });
          });
        }
      }
    } catch (err) {
      setupError = reportError(err);
      node.error(setupError);
    }

    if (pacer) {
      status.show('loading', 'starting');
      pacer.start();
    } else if (pushed) {
      pushed.supervisor.start();
    } else if (pulled) {
      status.show('ready', 'onDemand');
    }

    // On-demand grabs from pulled sources run one after another so a folder is read in order.
    let grabs: Promise<void> = Promise.resolve();
    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      if (setupError) return done(setupError);
      if (continuous) {
        // Continuous cameras take "stop" and "start".
        if (pacer && msg.payload === 'stop') pacer.stop();
        else if (pacer && msg.payload === 'start') pacer.start();
        else if (pushed && msg.payload === 'stop' && !pushStopped) pushStopped = pushed.supervisor.close();
        else if (pushed && msg.payload === 'start' && pushStopped && makePushed) {
          const restart = makePushed;
          pushStopped.then(() => {
            if (closing) return;
            pushed = restart();
            pushed.supervisor.start();
          });
          pushStopped = undefined;
        }
        if (msg.payload === 'stop' || msg.payload === 'start') status.show(msg.payload === 'stop' ? 'idle' : 'ready', msg.payload === 'stop' ? 'stopped' : 'started');
        return done();
      }
      if (pushed) {
        // The newest frame now, or the next one when none came since the last msg.
        if (latest) {
          const frame = latest;
          latest = undefined;
          send(fill(msg, frame));
          return done();
        }
        waiting.push({ msg, send, done });
        return;
      }
      const named = msg as { path?: unknown; url?: unknown };
      if (named.path !== undefined || named.url !== undefined) {
        // A file or URL from the message: only when allowed, and checked before it is touched.
        if (!def.msgSource) return done(reportError(new EdgeAiError('msgSourceOff', { what: named.url !== undefined ? 'msg.url' : 'msg.path' })));
        grabs = grabs.then(async () => {
          const once = await messageSource(sourceKind(def), def, baseDir, named);
          try {
            const frame = await once.next();
            if (frame) send(fill(msg, frame));
          } finally {
            once.close();
          }
        }).then(() => done(), (err) => done(reportError(err)));
        return;
      }
      const source = pulled as FrameSource;
      grabs = grabs.then(() => source.next()).then(
        (frame) => {
          if (!frame) {
            status.show('idle', 'finished', { count: seq });
            return done();
          }
          send(fill(msg, frame));
          status.routine('ready', 'frames', { seq });
          done();
        },
        (err) => done(reportError(err)),
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      forgetFrame(node.id);
      pacer?.stop();
      pulled?.close();
      gate?.close();
      for (const w of waiting.splice(0)) w.done();
      waiting = [];
      status.clear();
      Promise.all([pushStopped, pushed?.supervisor.close()]).then(() => done(), () => done());
    });
  }
  RED.nodes.registerType('edge-ai-camera', EdgeAiCameraNode, {
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
  });
};
