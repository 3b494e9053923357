// Files taken out of an npm package tarball (.tgz) with node-tar, npm's own tar library:
// streamed, nothing written but the entries asked for, each hashed on the way. node-tar reads
// pax and GNU long names and bounds the size of header entries, so a hostile tarball cannot
// make it hold more than that in memory.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { t as listTar } from 'tar';

export interface ExtractedFile {
  /** Path inside the archive. */
  entry: string;
  destination: string;
  sha256: string;
  size: number;
}

/**
 * Copy `wanted` entries (archive path -> destination file) out of a .tgz. Entries that are
 * not found are simply absent from the result; the caller decides whether that is an error.
 */
export async function extractFromTgz(archive: string, wanted: ReadonlyMap<string, string>): Promise<ExtractedFile[]> {
  const writes: Array<Promise<ExtractedFile>> = [];
  await listTar({
    file: archive,
    onReadEntry: (entry) => {
      const destination = entry.type === 'File' ? wanted.get(entry.path) : undefined;
      if (!destination) return;
      const hash = createHash('sha256');
      let size = 0;
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      writes.push(pipeline(entry, hashing, createWriteStream(destination))
        .then(() => ({ entry: entry.path, destination, sha256: hash.digest('hex'), size })));
    },
  });
  return Promise.all(writes);
}
