// Ed25519 keys for model bundles (node:crypto, no dependency): making a pair, naming a key by a
// short fingerprint, and the trust list a device checks bundles against (several keys for
// rotation, revoked ones refused). Keys come from the node's credentials or a file the settings
// name, never from a message.
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { EdgeAiError } from '../errors';

/** Bytes of the SHA-256 of a public key's SPKI encoding that name it in a bundle's header. */
export const KEY_ID_BYTES = 16;

/** A key's name: the first 16 bytes of the SHA-256 of its public SPKI DER, as hex. */
export function keyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest().subarray(0, KEY_ID_BYTES).toString('hex');
}

/** A new signing pair as PEM text: the private key (PKCS#8) for the operator, the public one (SPKI) for devices. */
export function generateSigningKeys(): { privatePem: string; publicPem: string; id: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    id: keyId(publicKey),
  };
}

const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;
const KEY_ID = /^[0-9a-f]{32}$/;

/** The public keys a device trusts, by id, less the revoked ones. */
export class TrustedKeys {
  readonly #keys = new Map<string, KeyObject>();
  readonly #revoked: Set<string>;

  /**
   * `pem`: one or more "BEGIN PUBLIC KEY" blocks (Ed25519 only), in any text around them.
   * `revoked`: key ids (32 hex digits) refused even when listed.
   */
  constructor(pem: string, revoked: Iterable<string> = []) {
    this.#revoked = new Set();
    for (const id of revoked) {
      const clean = id.trim().toLowerCase();
      if (!KEY_ID.test(clean)) throw new EdgeAiError('badSetting', { name: 'revoked keys', expected: 'key ids of 32 hex digits', received: JSON.stringify(id) });
      this.#revoked.add(clean);
    }
    for (const block of pem.match(PEM_BLOCK) ?? []) {
      let key: KeyObject;
      try {
        key = createPublicKey(block);
      } catch (err) {
        throw new EdgeAiError('badSetting', { name: 'trusted keys', expected: 'PEM public keys', received: `a block that does not parse (${(err as Error).message})` });
      }
      if (key.asymmetricKeyType !== 'ed25519') throw new EdgeAiError('badSetting', { name: 'trusted keys', expected: 'Ed25519 public keys', received: `a ${key.asymmetricKeyType} key` });
      this.#keys.set(keyId(key), key);
    }
  }

  get size(): number {
    return this.#keys.size;
  }

  ids(): string[] {
    return [...this.#keys.keys()];
  }

  /** The key to check a bundle signed by `id` with; an unknown or revoked key is refused with the reason. */
  key(id: string): KeyObject {
    if (this.#revoked.has(id)) throw new EdgeAiError('bundleRefused', { reason: `it is signed by key ${id}, which is revoked` });
    const key = this.#keys.get(id);
    if (!key) throw new EdgeAiError('bundleRefused', { reason: `it is signed by key ${id}, which this device does not trust (trusted: ${this.ids().join(', ') || 'none'})` });
    return key;
  }
}
