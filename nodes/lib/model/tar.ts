// Extract chosen files from a gzipped tar (an npm package tarball) as a stream: bounded memory,
// nothing written but the entries asked for, each hashed on the way.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGunzip } from 'node:zlib';

const BLOCK = 512;

export interface ExtractedFile {
  /** Path inside the archive. */
  entry: string;
  destination: string;
  sha256: string;
  size: number;
}

interface Header {
  name: string;
  size: number;
  type: string;
}

function octal(block: Buffer, start: number, length: number): number {
  const text = block.toString('latin1', start, start + length).replace(/\0.*$/, '').trim();
  return text ? parseInt(text, 8) : 0;
}

function readHeader(block: Buffer): Header | undefined {
  if (block.every((b) => b === 0)) return undefined;
  const name = block.toString('utf8', 0, 100).replace(/\0.*$/s, '');
  const prefix = block.toString('latin1', 257, 262) === 'ustar' ? block.toString('utf8', 345, 500).replace(/\0.*$/s, '') : '';
  return { name: prefix ? `${prefix}/${name}` : name, size: octal(block, 124, 12), type: String.fromCharCode(block[156] || 48) };
}

/** `path=` from a pax extended header body. */
function paxPath(body: Buffer): string | undefined {
  const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
  return match?.[1];
}

/**
 * Copy `wanted` entries (archive path -> destination file) out of a .tgz. Entries that are
 * not found are simply absent from the result; the caller decides whether that is an error.
 */
export async function extractFromTgz(archive: string, wanted: Map<string, string>): Promise<ExtractedFile[]> {
  const found: ExtractedFile[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let header: Header | undefined;
  let remaining = 0;
  let padding = 0;
  let longName: string | undefined;
  let metaBody: Buffer[] | undefined;
  let out: { stream: WriteStream; hash: ReturnType<typeof createHash>; file: ExtractedFile } | undefined;

  const finishEntry = async (): Promise<void> => {
    if (out) {
      out.stream.end();
      await once(out.stream, 'finish');
      out.file.sha256 = out.hash.digest('hex');
      found.push(out.file);
      out = undefined;
    }
    if (metaBody && header) {
      const body = Buffer.concat(metaBody);
      longName = header.type === 'L' ? body.toString('utf8').replace(/\0.*$/s, '') : paxPath(body) ?? longName;
      metaBody = undefined;
    }
    header = undefined;
  };

  for await (const chunk of createReadStream(archive).pipe(createGunzip())) {
    pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    for (;;) {
      if (header && remaining > 0) {
        if (!pending.length) break;
        const part = pending.subarray(0, Math.min(remaining, pending.length));
        pending = pending.subarray(part.length);
        remaining -= part.length;
        if (out) {
          out.hash.update(part);
          out.file.size += part.length;
          if (!out.stream.write(part)) await once(out.stream, 'drain');
        } else if (metaBody) {
          metaBody.push(Buffer.from(part));
        }
        if (remaining > 0) break;
      }
      if (header && remaining === 0) {
        if (pending.length < padding) {
          padding -= pending.length;
          pending = Buffer.alloc(0);
          break;
        }
        pending = pending.subarray(padding);
        await finishEntry();
      }
      if (pending.length < BLOCK) break;
      const next = readHeader(pending.subarray(0, BLOCK));
      pending = pending.subarray(BLOCK);
      if (!next) continue;
      const name = next.type === 'x' || next.type === 'L' ? next.name : longName ?? next.name;
      if (next.type !== 'x' && next.type !== 'L' && next.type !== 'g') longName = undefined;
      header = { ...next, name };
      remaining = next.size;
      padding = (BLOCK - (next.size % BLOCK)) % BLOCK;
      const destination = next.type === '0' || next.type === '\0' ? wanted.get(name) : undefined;
      if (destination) {
        out = { stream: createWriteStream(destination), hash: createHash('sha256'), file: { entry: name, destination, sha256: '', size: 0 } };
      } else if (next.type === 'x' || next.type === 'L') {
        metaBody = [];
      }
      if (remaining === 0 && padding === 0) await finishEntry();
    }
  }
  await finishEntry();
  return found;
}
