// ffmpeg command lines for the camera sources. Arguments are always an array (never a shell
// string), and network inputs get I/O timeouts so a dead peer cannot hang a read forever.
import type { ProcessSpec } from './supervisor';

export type FfmpegInput =
  | { kind: 'url'; url: string; rtspTransport?: 'tcp' | 'udp' }
  | { kind: 'file'; path: string; loop: boolean }
  | { kind: 'v4l2'; device: string; width?: number; height?: number; fps?: number; inputFormat?: string }
  | { kind: 'lavfi'; graph: string };

export interface FfmpegOutput {
  /** JPEG frames (default) or raw RGB frames of width*height*3 bytes. */
  format: 'jpeg' | 'rgb';
  /** Scale to this size (needed for rgb, so frames have a known length). */
  width?: number;
  height?: number;
  /** Cap the frame rate. */
  fps?: number;
  /** JPEG quality 1..100 (mapped to ffmpeg's -q:v 31..2). */
  quality?: number;
}

/** Microseconds, as ffmpeg's network options want them. */
const IO_TIMEOUT_US = '5000000';
const PROBE_US = '1500000';
/** What a concat list read from stdin may open: the network protocols of camera URLs. */
const CONCAT_PROTOCOLS = 'pipe,rtsp,rtsps,rtp,srtp,tcp,udp,tls,http,https,httpproxy,crypto';


/** ffmpeg options of a URL input, as name and value. */
function urlOptions(input: Extract<FfmpegInput, { kind: 'url' }>): Array<[string, string]> {
  const scheme = /^(\w+):/.exec(input.url)?.[1]?.toLowerCase();
  if (scheme === 'rtsp' || scheme === 'rtsps') return [['rtsp_transport', input.rtspTransport ?? 'tcp'], ['timeout', IO_TIMEOUT_US]];
  // An MPEG-TS stream sent to a UDP port (encoders, `ffmpeg -f mpegts udp://…`): a late packet
  // must not end the capture, and silence does, so the supervisor restarts it.
  if (scheme === 'udp') return [['timeout', IO_TIMEOUT_US], ['overrun_nonfatal', '1']];
  return [['rw_timeout', IO_TIMEOUT_US]];
}

/** The input's arguments, and what goes to ffmpeg's stdin. */
function inputArgs(input: FfmpegInput): { args: string[]; stdin?: string } {
  switch (input.kind) {
    case 'url': {
      // A live source should start within a second or two, not after ffmpeg's 5 s probe.
      // Counting frames to guess the rate would add a second (-vf fps sets the rate anyway),
      // and the packets read while probing are kept (no -fflags nobuffer), so the decoder need
      // not wait for the next keyframe.
      const live: Array<[string, string]> = [['analyzeduration', PROBE_US], ['fpsprobesize', '0']];
      const options = [...live, ...urlOptions(input)];
      // Only a URL with a user name or password reads differently once redacted.
      if (redactUrl(input.url) === input.url) return { args: [...options.flatMap(([k, v]) => [`-${k}`, v]), '-i', input.url] };
      // Any local user can read a command line (ps, /proc), so a URL with a password goes in
      // through stdin, as a one-entry concat list that carries the input's options.
      const list = ['ffconcat version 1.0', `file '${input.url.replace(/'/g, "'\\''")}'`, ...options.map(([k, v]) => `option ${k} ${v}`)];
      return {
        args: [...live.flatMap(([k, v]) => [`-${k}`, v]), '-f', 'concat', '-safe', '0', '-protocol_whitelist', CONCAT_PROTOCOLS, '-i', 'pipe:0'],
        stdin: `${list.join('\n')}\n`,
      };
    }
    case 'file':
      // -re: play at the file's own pace, like a camera would deliver it.
      return { args: ['-re', ...(input.loop ? ['-stream_loop', '-1'] : []), '-i', input.path] };
    case 'v4l2':
      return {
        args: [
          '-f', 'v4l2',
          ...(input.inputFormat ? ['-input_format', input.inputFormat] : []),
          ...(input.width && input.height ? ['-video_size', `${input.width}x${input.height}`] : []),
          ...(input.fps ? ['-framerate', String(input.fps)] : []),
          '-i', input.device,
        ],
      };
    default:
      return { args: ['-re', '-f', 'lavfi', '-i', input.graph] };
  }
}

export function ffmpegSpec(input: FfmpegInput, output: FfmpegOutput, ffmpeg = 'ffmpeg'): ProcessSpec {
  const filters = [
    ...(output.fps ? [`fps=${output.fps}`] : []),
    ...(output.width && output.height ? [`scale=${output.width}:${output.height}`] : []),
  ];
  const quality = Math.round(31 - ((Math.min(100, Math.max(1, output.quality ?? 80)) - 1) / 99) * 29);
  const encode = output.format === 'rgb'
    ? ['-f', 'rawvideo', '-pix_fmt', 'rgb24']
    : ['-f', 'image2pipe', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(quality)];
  const { args, stdin } = inputArgs(input);
  return {
    command: ffmpeg,
    stdin,
    args: [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      ...args,
      '-an', '-sn', '-dn',
      ...(filters.length ? ['-vf', filters.join(',')] : []),
      ...encode,
      'pipe:1',
    ],
  };
}

/** A URL with its password (and user) hidden, for anything a person might read. */
export function redactUrl(text: string): string {
  return text.replace(/(\b[a-z][\w+.-]*:\/\/)([^/@\s]+)@/gi, '$1***@');
}
