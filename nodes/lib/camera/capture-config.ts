// The camera node's settings made into a frame source: pulled at a pace (pattern, files,
// snapshots) or pushed by a supervised capture (video, stream, MJPEG, V4L2, Pi camera).
import { accessSync, constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileFromMessage, guardedLookup, urlFromMessage } from './untrusted';
import { EdgeAiError } from '../errors';
import { choiceSetting, numberSetting } from '../settings';
import { expandPath } from '../paths';
import { ffmpegSpec, redactUrl } from './ffmpeg';
import { SnapshotSource } from './http';
import { FileSource, FolderSource, TestPatternSource, type Frame, type FrameSource } from './sources';
import { mjpegCamera, processCamera, type StreamEvents } from './streams';
import type { CaptureSupervisor, ProcessSpec } from './supervisor';

export const PULL_SOURCES = ['pattern', 'file', 'folder', 'snapshot'] as const;
export const PUSH_SOURCES = ['video', 'stream', 'mjpeg', 'v4l2', 'rpicam'] as const;
export type SourceKind = (typeof PULL_SOURCES)[number] | (typeof PUSH_SOURCES)[number];

export interface CameraSettings {
  source?: string;
  path?: string;
  background?: string;
  url?: string;
  device?: string;
  inputFormat?: string;
  rtspTransport?: string;
  width?: number | string;
  height?: number | string;
  fps?: number | string;
  loop?: boolean;
  quality?: number | string;
  stallTimeout?: number | string;
  /** "jpeg" (the default) or "rgb": raw frames, for the sources that go through ffmpeg. */
  output?: string;
}

export interface Credentials {
  user?: string;
  password?: string;
}

/** Seconds a single HTTP request may stay silent. */
const HTTP_IDLE_MS = 5000;

/** Continuous at a capped rate, or one frame per input msg. */
export function cameraPace(settings: CameraSettings & { mode?: string }): { continuous: boolean; fps: number } {
  return {
    continuous: choiceSetting('mode', settings.mode, 'continuous', ['continuous', 'ondemand'] as const) === 'continuous',
    fps: numberSetting('fps', settings.fps, 5, 0.001, 60),
  };
}

/** After how long without a frame a capture is restarted (the node's "Restart after"). */
export function stallTimeoutMs(settings: CameraSettings): number {
  return numberSetting('stallTimeout', settings.stallTimeout, 10, 1, 300) * 1000;
}

/**
 * How old a continuous camera's newest frame may be before the health check calls it failing:
 * two restart deadlines, so one restart that brings frames back goes unnoticed, and at least
 * five frame intervals.
 */
export function frameAgeLimitMs(settings: CameraSettings & { mode?: string }): number {
  return Math.max(2 * stallTimeoutMs(settings), 5000 / cameraPace(settings).fps);
}

/**
 * What the health check expects of a camera with these settings: frames by themselves (and how
 * old the newest may be) or only on request. Settings it cannot read expect nothing here: the
 * camera's own set-up reports them.
 */
export function healthExpectation(settings: CameraSettings & { mode?: string }): { continuous: boolean; maxFrameAgeMs: number } {
  try {
    return { continuous: cameraPace(settings).continuous, maxFrameAgeMs: frameAgeLimitMs(settings) };
  } catch {
    return { continuous: false, maxFrameAgeMs: 0 };
  }
}

export function sourceKind(settings: CameraSettings): SourceKind {
  return choiceSetting<SourceKind>('source', settings.source, 'pattern', [...PULL_SOURCES, ...PUSH_SOURCES]);
}

/** The URL with the credentials put in; the plain URL stays what people see. */
export function urlWithCredentials(raw: string | undefined, allowed: string[], credentials: Credentials): { url: string; label: string } {
  let url: URL;
  try {
    url = new URL(String(raw ?? '').trim());
  } catch {
    throw new EdgeAiError('badSetting', { name: 'url', expected: `a ${allowed.join(', ')} URL`, received: JSON.stringify(redactUrl(String(raw ?? ''))) });
  }
  if (!allowed.includes(url.protocol.replace(':', ''))) {
    throw new EdgeAiError('badSetting', { name: 'url', expected: `a ${allowed.join(', ')} URL`, received: JSON.stringify(redactUrl(url.toString())) });
  }
  const label = redactUrl(url.toString());
  if (credentials.user) url.username = credentials.user;
  if (credentials.password) url.password = credentials.password;
  return { url: url.toString(), label };
}

/** A frame source the pacer pulls from. */
export function pullSource(kind: (typeof PULL_SOURCES)[number], s: CameraSettings, baseDir: string, credentials: Credentials): FrameSource {
  const quality = numberSetting('quality', s.quality, 80, 1, 100, true);
  if (kind === 'pattern') {
    const width = numberSetting('width', s.width, 640, 16, 4096, true);
    const height = numberSetting('height', s.height, 480, 16, 4096, true);
    const background = s.background?.trim() ? expandPath(s.background, baseDir) : undefined;
    return new LazyPatternSource(width, height, quality, background);
  }
  if (kind === 'snapshot') {
    const { url, label } = urlWithCredentials(s.url, ['http', 'https'], credentials);
    return new SnapshotSource(url, label, HTTP_IDLE_MS, quality);
  }
  const location = expandPath(s.path ?? '', baseDir);
  return kind === 'file' ? new FileSource(location, quality) : new FolderSource(location, s.loop !== false, quality);
}

/**
 * A one-frame source named by msg.path (file, folder: a file in the node's folder) or msg.url
 * (snapshot), each checked as untrusted input first (see untrusted.ts).
 */
export async function messageSource(kind: SourceKind, s: CameraSettings, baseDir: string, msg: { path?: unknown; url?: unknown }): Promise<FrameSource> {
  const quality = numberSetting('quality', s.quality, 80, 1, 100, true);
  if (kind === 'snapshot') {
    if (msg.url === undefined) throw new EdgeAiError('msgSourceWrongField', { what: 'msg.path', kind, expected: 'msg.url' });
    const url = await urlFromMessage(msg.url, ['http', 'https']);
    // The host is checked again at connect time: a name may resolve elsewhere by then.
    return new SnapshotSource(url.toString(), url.toString(), HTTP_IDLE_MS, quality, guardedLookup);
  }
  if (kind === 'file' || kind === 'folder') {
    if (msg.path === undefined) throw new EdgeAiError('msgSourceWrongField', { what: 'msg.url', kind, expected: 'msg.path' });
    const location = expandPath(s.path ?? '', baseDir);
    return new FileSource(await fileFromMessage(msg.path, kind === 'file' ? path.dirname(location) : location), quality);
  }
  throw new EdgeAiError('msgSourceOff', { what: msg.url !== undefined ? 'msg.url' : 'msg.path' });
}

export interface PushCamera {
  supervisor: CaptureSupervisor;
  /** What msg.frame.source says: a path, a URL without credentials, a device. */
  label: string;
  /** Raw RGB frames all have this size; JPEG frames carry their own. */
  raw?: { width: number; height: number };
}

/** The sources whose ffmpeg can hand over raw RGB frames instead of JPEGs. */
export const RAW_SOURCES = ['video', 'stream', 'v4l2'] as const;

/** Raw RGB output and its fixed frame size, or undefined for JPEG. */
function rawOutput(kind: SourceKind, s: CameraSettings): { width: number; height: number } | undefined {
  if (choiceSetting('output', s.output, 'jpeg', ['jpeg', 'rgb'] as const) === 'jpeg') return undefined;
  if (!(RAW_SOURCES as readonly string[]).includes(kind)) {
    throw new EdgeAiError('badSetting', { name: 'output', expected: `"jpeg" for the ${kind} source (raw RGB comes from ${RAW_SOURCES.join(', ')})`, received: '"rgb"' });
  }
  // Every frame must have the same length for the stream to be split, so ffmpeg scales to this.
  return { width: numberSetting('width', s.width, 0, 16, 4096, true), height: numberSetting('height', s.height, 0, 16, 4096, true) };
}

/** A supervised capture for the push kinds. */
export function pushCamera(kind: (typeof PUSH_SOURCES)[number], s: CameraSettings, baseDir: string, credentials: Credentials, events: StreamEvents): PushCamera {
  const quality = numberSetting('quality', s.quality, 80, 1, 100, true);
  const { fps } = cameraPace(s);
  const options = { stallTimeoutMs: stallTimeoutMs(s) };
  const raw = rawOutput(kind, s);
  const output = raw ? { format: 'rgb' as const, ...raw, fps, quality } : { format: 'jpeg' as const, fps, quality };
  const size = (): { width?: number; height?: number } => {
    const width = numberSetting('width', s.width, 0, 0, 4096, true);
    const height = numberSetting('height', s.height, 0, 0, 4096, true);
    return width && height ? { width, height } : {};
  };
  if (kind === 'mjpeg') {
    const { url, label } = urlWithCredentials(s.url, ['http', 'https'], credentials);
    return { supervisor: mjpegCamera(url, { idleTimeoutMs: HTTP_IDLE_MS }, events, options), label };
  }
  let spec: ProcessSpec;
  let label: string;
  if (kind === 'video') {
    label = expandPath(s.path ?? '', baseDir);
    spec = ffmpegSpec({ kind: 'file', path: label, loop: s.loop !== false }, output);
  } else if (kind === 'stream') {
    const target = urlWithCredentials(s.url, ['rtsp', 'rtsps', 'http', 'https', 'udp'], credentials);
    label = target.label;
    const rtspTransport = choiceSetting('rtspTransport', s.rtspTransport, 'tcp', ['tcp', 'udp'] as const);
    spec = ffmpegSpec({ kind: 'url', url: target.url, rtspTransport }, output);
  } else if (kind === 'v4l2') {
    label = String(s.device || '/dev/video0');
    const inputFormat = choiceSetting('inputFormat', s.inputFormat, '', ['', 'mjpeg', 'yuyv422'] as const);
    spec = ffmpegSpec({ kind: 'v4l2', device: label, fps, inputFormat: inputFormat || undefined, ...size() }, { ...output, fps: undefined });
  } else {
    label = 'rpicam';
    const { width, height } = size();
    spec = {
      command: rpicamCommand(),
      args: ['-t', '0', '-n', '--codec', 'mjpeg', '-q', String(quality), '--framerate', String(fps), ...(width && height ? ['--width', String(width), '--height', String(height)] : []), '-o', '-'],
    };
  }
  return { supervisor: processCamera(() => spec, events, options, raw && raw.width * raw.height * 3), label, raw };
}

/** rpicam-vid on current Raspberry Pi OS, libcamera-vid on older releases (looked up on PATH). */
function rpicamCommand(): string {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const command of ['rpicam-vid', 'libcamera-vid']) {
    for (const dir of dirs) {
      try {
        accessSync(path.join(dir, command), constants.X_OK);
        return command;
      } catch {
        // Not here.
      }
    }
  }
  throw new EdgeAiError('captureCommandMissing');
}

/** A test pattern whose optional background file is read on the first frame, not at deploy. */
class LazyPatternSource implements FrameSource {
  #pattern: Promise<TestPatternSource> | undefined;

  constructor(readonly width: number, readonly height: number, readonly quality: number, readonly background?: string) {}

  next(): Promise<Frame> {
    const { background } = this;
    this.#pattern ??= (background
      ? fs.readFile(background).catch(() => Promise.reject(new EdgeAiError('fileNotFound', { path: background })))
      : Promise.resolve(undefined)
    ).then((image) => new TestPatternSource({ width: this.width, height: this.height, quality: this.quality, background: image }));
    // A missing background fails every frame until redeploy.
    return this.#pattern.then((p) => p.next());
  }

  close(): void {
    this.#pattern?.then((p) => p.close(), () => undefined);
  }
}

