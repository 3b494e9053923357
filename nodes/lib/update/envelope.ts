// The signed file a model bundle travels in: a fixed 96-byte header (magic, the id of the key
// that signed, the Ed25519 signature, the payload's length), then the payload (a tar.gz of the
// manifest, model, labels and golden frames; see payload.ts). Written here because no library
// fits "verify before parsing": the header is all that is read before the signature is checked;
// the payload is hashed while it streams to a staging file, and nothing opens it until the
// signature over its SHA-256 and length holds.
import { createHash, createPrivateKey, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { EdgeAiError } from '../errors';
import { KEY_ID_BYTES, keyId, type TrustedKeys } from './keys';

export const BUNDLE_MAGIC = Buffer.from('EAIBNDL1', 'latin1');
const SIGNATURE_BYTES = 64;
export const HEADER_BYTES = BUNDLE_MAGIC.length + KEY_ID_BYTES + SIGNATURE_BYTES + 8;
/** Signatures are over this, so that no other message signed with the same key passes for a bundle. */
const DOMAIN = Buffer.from('edge-ai-model bundle v1\n', 'latin1');

function signedMessage(id: Buffer, length: bigint, payloadSha256: Buffer): Buffer {
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(length);
  return Buffer.concat([DOMAIN, BUNDLE_MAGIC, id, size, payloadSha256]);
}

/** The header that makes `payload` a signed bundle: write it, then the payload's bytes. */
export function signedHeader(privateKey: KeyObject | string, payloadSha256: Buffer, payloadLength: number): Buffer {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  if (key.asymmetricKeyType !== 'ed25519') throw new EdgeAiError('badSetting', { name: 'signing key', expected: 'an Ed25519 private key', received: `a ${key.asymmetricKeyType} key` });
  const id = Buffer.from(keyId(key), 'hex');
  const length = BigInt(payloadLength);
  const signature = sign(null, signedMessage(id, length, payloadSha256), key);
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(length);
  return Buffer.concat([BUNDLE_MAGIC, id, signature, size]);
}

export interface ReceivedBundle {
  /** The key that signed it. */
  keyId: string;
  /** SHA-256 of the payload, as signed. */
  payloadSha256: string;
  /** Bytes of the whole bundle (header and payload). */
  size: number;
}

/**
 * Stream a bundle into `staging` (the payload only, flushed to disk) and check it: the size cap
 * (refused from the header, before the rest is read, and again while reading), the length, the
 * signing key (trusted, not revoked) and the signature. On any refusal the staging file is gone.
 */
export async function receiveBundle(source: AsyncIterable<Uint8Array>, staging: string, trust: TrustedKeys, maxBytes: number): Promise<ReceivedBundle> {
  const hash = createHash('sha256');
  let header = Buffer.alloc(0);
  let expected: bigint | undefined;
  let written = 0n;
  let fd: number | undefined;
  try {
    fd = openSync(staging, 'w', 0o600);
    for await (const chunk of source) {
      let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (expected === undefined) {
        const missing = HEADER_BYTES - header.length;
        header = Buffer.concat([header, data.subarray(0, missing)]);
        data = data.subarray(missing);
        if (header.length < HEADER_BYTES) continue;
        const parsed = parseHeader(header, maxBytes);
        trust.key(parsed.id); // an unknown or revoked key is refused before the payload is read
        expected = parsed.length;
      }
      written += BigInt(data.length);
      if (written > expected) throw new EdgeAiError('bundleRefused', { reason: `it is longer than its header says (${expected + BigInt(HEADER_BYTES)} bytes)` });
      hash.update(data);
      writeSync(fd, data);
    }
    if (expected === undefined) throw new EdgeAiError('bundleRefused', { reason: `it is ${header.length} bytes, shorter than a bundle's ${HEADER_BYTES}-byte header (an empty or truncated download?)` });
    if (written < expected) throw new EdgeAiError('bundleRefused', { reason: `it is truncated: ${written} of ${expected} payload bytes arrived` });
    fsyncSync(fd);
    const { id, signature } = parseHeader(header, maxBytes);
    const digest = hash.digest();
    if (!verify(null, signedMessage(Buffer.from(id, 'hex'), expected, digest), trust.key(id), signature)) {
      throw new EdgeAiError('bundleRefused', { reason: `its signature does not match its contents (signed by key ${id}): altered or damaged on the way` });
    }
    return { keyId: id, payloadSha256: digest.toString('hex'), size: Number(expected) + HEADER_BYTES };
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    rmSync(staging, { force: true });
    throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function parseHeader(header: Buffer, maxBytes: number): { id: string; signature: Buffer; length: bigint } {
  if (!header.subarray(0, BUNDLE_MAGIC.length).equals(BUNDLE_MAGIC)) {
    throw new EdgeAiError('bundleRefused', { reason: `it does not start as a signed model bundle does ("${BUNDLE_MAGIC.toString('latin1')}"); made with edge-ai-model sign?` });
  }
  let at = BUNDLE_MAGIC.length;
  const id = header.subarray(at, (at += KEY_ID_BYTES)).toString('hex');
  const signature = header.subarray(at, (at += SIGNATURE_BYTES));
  const length = header.readBigUInt64BE(at);
  if (length + BigInt(HEADER_BYTES) > BigInt(maxBytes)) {
    throw new EdgeAiError('bundleRefused', { reason: `it is ${length + BigInt(HEADER_BYTES)} bytes, over this device's cap of ${maxBytes}` });
  }
  return { id, signature, length };
}
