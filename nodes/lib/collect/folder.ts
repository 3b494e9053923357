// The calibration folder on disk: frames named by time and number, written to a temporary name
// and renamed (a reader never sees half a JPEG), found again after a restart, and one folder
// per collect node.
import { promises as fs, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { EdgeAiError } from '../errors';
import type { KeptFrame } from './sampler';

/** frame-20261202T101500Z-0007.jpg: the frame's time (UTC, to the second) and its number. */
const FRAME_NAME = /^frame-\d{8}T\d{6}Z-(\d{4,})\.jpg$/;
/** What a write in progress is called: hidden, and not an image file to the quantizer. */
const TEMP_NAME = /^\.frame-.*\.tmp$/;

export function frameName(time: number, index: number): string {
  const stamp = new Date(time).toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  return `frame-${stamp}-${String(index).padStart(4, '0')}.jpg`;
}

const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Folders being collected into, by the node that collects there. */
const claims = new Map<string, string>();

/**
 * The folder as the disk knows it: links followed as far as the path exists, so one folder
 * named directly and through a symlink (or a linked parent) is one claim.
 */
function realFolder(folder: string): string {
  const resolved = path.resolve(folder);
  const rest: string[] = [];
  for (let at = resolved; ; at = path.dirname(at)) {
    try {
      return path.join(realpathSync(at), ...rest);
    } catch {
      if (path.dirname(at) === at) return resolved;
      rest.unshift(path.basename(at));
    }
  }
}

/**
 * Take `folder` for `owner` (a node id); throws when another owner has it. Two nodes writing
 * one folder would each count and replace the other's frames. Returns the release.
 */
export function claimFolder(folder: string, owner: string): () => void {
  const key = realFolder(folder);
  const holder = claims.get(key);
  if (holder !== undefined && holder !== owner) throw new EdgeAiError('collectFolderInUse', { path: key, other: holder });
  claims.set(key, owner);
  return () => {
    if (claims.get(key) === owner) claims.delete(key);
  };
}

export class FrameFolder {
  readonly path: string;

  private constructor(folder: string) {
    this.path = folder;
  }

  /** The folder, made when missing, with what an interrupted write left behind removed. */
  static async open(folder: string): Promise<FrameFolder> {
    try {
      await fs.mkdir(folder, { recursive: true });
      const stat = await fs.stat(folder);
      if (!stat.isDirectory()) throw new Error('it is not a folder');
    } catch (err) {
      throw new EdgeAiError('collectFolder', { path: folder, reason: reasonOf(err) });
    }
    const opened = new FrameFolder(folder);
    for (const name of await opened.#names()) if (TEMP_NAME.test(name)) await opened.remove(name);
    return opened;
  }

  /** The frames a collect node wrote here (regular files named like frameName), oldest first. */
  async frames(): Promise<KeptFrame[]> {
    const found: KeptFrame[] = [];
    for (const name of (await this.#names()).sort()) {
      const match = FRAME_NAME.exec(name);
      if (!match) continue;
      const stat = await fs.lstat(path.join(this.path, name)).catch(() => undefined);
      if (stat?.isFile()) found.push({ name, bytes: stat.size, index: Number(match[1]) });
    }
    return found;
  }

  /** Write a frame atomically: to a temporary name, then renamed. */
  async write(data: Buffer, time: number, index: number): Promise<KeptFrame> {
    const name = frameName(time, index);
    const temp = path.join(this.path, `.${name}.tmp`);
    try {
      await fs.writeFile(temp, data);
      await fs.rename(temp, path.join(this.path, name));
    } catch (err) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw new EdgeAiError('collectWrite', { path: path.join(this.path, name), reason: reasonOf(err) });
    }
    return { name, bytes: data.length, index };
  }

  /** Remove one of the folder's files; one already gone is no error. */
  async remove(name: string): Promise<void> {
    try {
      await fs.rm(path.join(this.path, name), { force: true });
    } catch (err) {
      throw new EdgeAiError('collectWrite', { path: path.join(this.path, name), reason: reasonOf(err) });
    }
  }

  /** Remove every frame (and unfinished write) of a collect node; other files stay. */
  async clear(): Promise<void> {
    for (const name of await this.#names()) if (FRAME_NAME.test(name) || TEMP_NAME.test(name)) await this.remove(name);
  }

  async #names(): Promise<string[]> {
    try {
      return await fs.readdir(this.path);
    } catch (err) {
      throw new EdgeAiError('collectFolder', { path: this.path, reason: reasonOf(err) });
    }
  }
}
