// edge-ai-camera: frames from a test pattern, an image file or a folder, continuously or on demand.
import { promises as fs } from 'node:fs';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { RateMeter, StatusLine, localError } from './adapter';
import { FramePacer } from './lib/camera/pacer';
import { FileSource, FolderSource, TestPatternSource, type Frame, type FrameSource } from './lib/camera/sources';
import { EdgeAiError, choiceSetting, numberSetting } from './lib/errors';
import { expandPath } from './lib/paths';

interface CameraNodeDef extends NodeDef {
  source?: string;
  path?: string;
  background?: string;
  width?: number | string;
  height?: number | string;
  mode?: string;
  fps?: number | string;
  loop?: boolean;
  quality?: number | string;
}

interface CameraSettings {
  source: FrameSource;
  continuous: boolean;
  fps: number;
}

function settingsFrom(def: CameraNodeDef, baseDir: string): CameraSettings {
  const kind = choiceSetting('source', def.source, 'pattern', ['pattern', 'file', 'folder'] as const);
  const quality = numberSetting('quality', def.quality, 80, 1, 100, true);
  const continuous = choiceSetting('mode', def.mode, 'continuous', ['continuous', 'ondemand'] as const) === 'continuous';
  const fps = numberSetting('fps', def.fps, 5, 0.001, 60);
  let source: FrameSource;
  if (kind === 'pattern') {
    const width = numberSetting('width', def.width, 640, 16, 4096, true);
    const height = numberSetting('height', def.height, 480, 16, 4096, true);
    const backgroundPath = def.background?.trim() ? expandPath(def.background, baseDir) : undefined;
    source = new LazyPatternSource(width, height, quality, backgroundPath);
  } else {
    const location = expandPath(def.path ?? '', baseDir);
    source = kind === 'file' ? new FileSource(location, quality) : new FolderSource(location, def.loop !== false, quality);
  }
  return { source, continuous, fps };
}

/** A test pattern whose optional background file is read on first use. */
class LazyPatternSource implements FrameSource {
  #pattern: Promise<TestPatternSource> | undefined;

  constructor(readonly width: number, readonly height: number, readonly quality: number, readonly background?: string) {}

  next(): Promise<Frame> {
    const { background } = this;
    const read = background
      ? fs.readFile(background).catch(() => Promise.reject(new EdgeAiError('fileNotFound', { path: background })))
      : Promise.resolve(undefined);
    this.#pattern ??= read.then(
      (background) => new TestPatternSource({ width: this.width, height: this.height, quality: this.quality, background }),
    );
    // A missing background fails every frame until redeploy; keep the rejection for the next call.
    return this.#pattern.then((p) => p.next());
  }

  close(): void {
    this.#pattern?.then((p) => p.close(), () => undefined);
  }
}

module.exports = function register(RED: NodeAPI): void {
  function EdgeAiCameraNode(this: Node, def: CameraNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node, RED, 'edge-ai-camera');
    const rate = new RateMeter();
    let settings: CameraSettings | undefined;
    let setupError: Error | undefined;
    try {
      settings = settingsFrom(def, RED.settings.userDir ?? process.cwd());
    } catch (err) {
      setupError = localError(RED, err);
      status.error(setupError);
    }
    let seq = 0;

    /** Put a frame on a msg per DESIGN §3: payload and image are the same Buffer. */
    function fill(msg: NodeMessage, frame: Frame): NodeMessage {
      msg.payload = frame.data;
      msg.image = frame.data;
      msg.frame = { source: frame.source, seq: ++seq, time: Date.now(), width: frame.width, height: frame.height, format: 'jpeg' };
      return msg;
    }

    const pacer = settings?.continuous
      ? new FramePacer(settings.source, settings.fps, {
        frame: (frame) => {
          node.send(fill({}, frame));
          status.routine('ready', 'streaming', { fps: rate.tick().toFixed(1), seq });
        },
        error: (err) => {
          const local = localError(RED, err);
          status.error(local);
          node.error(local);
        },
        end: () => status.show('idle', 'finished', { count: seq }),
      })
      : undefined;
    if (pacer) {
      status.show('loading', 'starting');
      pacer.start();
    } else if (settings) {
      status.show('ready', 'onDemand');
    }

    // On-demand grabs run one after another so a folder is read in order.
    let grabs: Promise<void> = Promise.resolve();
    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      if (!settings) return done(setupError);
      if (pacer) {
        if (msg.payload === 'stop') pacer.stop();
        else if (msg.payload === 'start') pacer.start();
        status.show(pacer.running ? 'ready' : 'idle', pacer.running ? 'started' : 'stopped');
        return done();
      }
      const source = settings.source;
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
        (err) => {
          const local = localError(RED, err);
          status.error(local);
          done(local);
        },
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      pacer?.stop();
      settings?.source.close();
      status.clear();
      done();
    });
  }
  RED.nodes.registerType('edge-ai-camera', EdgeAiCameraNode);
};
