// Checks for a camera's source taken from a message (msg.path, msg.url), which is off unless
// the node allows it. A message may come from anywhere (an MQTT topic, an HTTP endpoint), so
// everything is refused that would reach beyond what the node was set up for: other files
// (../, absolute paths, symlinks out of the folder; anything but a regular image file of
// sensible size), other protocols (file:, concat: and the rest of ffmpeg's), the cloud
// metadata services (link-local addresses, AWS's fd00:ec2::254), command-line options (a
// leading -) and NUL bytes. The checks run before any file is opened or process started, and
// a URL's addresses are checked again when it connects (a name may resolve differently then).
// Loopback and private addresses are allowed: cameras live there.
import { lookup as dnsLookup, promises as dns } from 'node:dns';
import { stat } from 'node:fs/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import * as path from 'node:path';
import { EdgeAiError, describeValue } from '../errors';
import { resolveInside, type OutsideFolder } from '../paths';
import { IMAGE_EXTENSIONS } from './sources';

const MAX_LENGTH = 4096;
/** Largest image file a message may name (a photo is a few MB; a video would fill the memory). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

const refused = (what: string, value: unknown, reason: string): EdgeAiError =>
  new EdgeAiError('msgSourceRefused', { what, received: typeof value === 'string' ? JSON.stringify(value.slice(0, 200)) : describeValue(value), reason });

/** The text every source must be: a string, short, without NUL bytes or a leading '-'. */
function plainText(what: string, value: unknown): string {
  if (typeof value !== 'string' || !value.trim()) throw refused(what, value, 'it must be a non-empty string');
  if (value.length > MAX_LENGTH) throw refused(what, value, `it is longer than ${MAX_LENGTH} characters`);
  if (value.includes('\0')) throw refused(what, value, 'it contains a NUL byte');
  if (value.trimStart().startsWith('-')) throw refused(what, value, 'it starts with "-", which a program would read as an option');
  return value.trim();
}

/**
 * A file named by a message: a relative path to a regular image file inside `folder` (the
 * folder of the file set on the node, or its folder) once links are followed. Returns the real path.
 */
export async function fileFromMessage(value: unknown, folder: string): Promise<string> {
  const text = plainText('msg.path', value);
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) throw refused('msg.path', value, 'it names a protocol; only a file name is taken');
  const reasons: Record<Exclude<OutsideFolder, 'missing'>, string> = {
    empty: 'it names no file',
    absolute: `it is absolute; only names inside ${folder} are taken`,
    climbs: 'it climbs out of the folder with ..',
    linkOut: `it leads out of ${folder} through a link`,
  };
  const inside = await resolveInside(folder, text);
  if ('outside' in inside) {
    if (inside.outside === 'missing') throw new EdgeAiError('fileNotFound', { path: path.join(folder, text) });
    throw refused('msg.path', value, reasons[inside.outside]);
  }
  if (!IMAGE_EXTENSIONS.includes(path.extname(inside.real).toLowerCase())) {
    throw refused('msg.path', value, `only image files are taken (${IMAGE_EXTENSIONS.join(', ')})`);
  }
  const info = await stat(inside.real);
  if (!info.isFile()) throw refused('msg.path', value, 'it is not a regular file');
  if (info.size > MAX_FILE_BYTES) throw refused('msg.path', value, `it is larger than ${MAX_FILE_BYTES / 1048576} MB`);
  return inside.real;
}

/**
 * Where clouds answer with their credentials: link-local addresses (169.254.0.0/16, fe80::/10,
 * also written IPv4-mapped or NAT64), AWS's IPv6 metadata address, and the unspecified ones.
 */
const METADATA_ADDRESSES = new BlockList();
METADATA_ADDRESSES.addSubnet('169.254.0.0', 16, 'ipv4');
METADATA_ADDRESSES.addSubnet('fe80::', 10, 'ipv6');
METADATA_ADDRESSES.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6');
METADATA_ADDRESSES.addAddress('fd00:ec2::254', 'ipv6');
METADATA_ADDRESSES.addAddress('0.0.0.0', 'ipv4');
METADATA_ADDRESSES.addAddress('::', 'ipv6');

export function isMetadataAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && METADATA_ADDRESSES.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** dns.lookup for connections to a URL from a message: fails on a metadata address. */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 4);
    const bad = addresses.find((a) => isMetadataAddress(a.address));
    if (bad) return callback(Object.assign(new Error(`${hostname} resolves to ${bad.address}, a link-local or metadata address`), { code: 'EACCES' }), '', 4);
    // Node asks for all addresses when it tries several (autoSelectFamily), otherwise for one.
    if (options.all) (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  });
};

/** Resolves a host name to its addresses (a test passes its own). */
type Lookup = (host: string) => Promise<Array<{ address: string }>>;

/**
 * A URL named by a message: one of `schemes` (e.g. http, https for a snapshot camera), no
 * credentials, and a host that is not (and does not resolve to) a link-local or metadata address.
 */
export async function urlFromMessage(value: unknown, schemes: readonly string[], lookup: Lookup = (host) => dns.lookup(host, { all: true })): Promise<URL> {
  const text = plainText('msg.url', value);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refused('msg.url', value, 'it is not a URL');
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  if (!schemes.includes(scheme)) throw refused('msg.url', value, `only ${schemes.join(', ')} URLs are taken, not ${scheme}:`);
  if (url.username || url.password) throw refused('msg.url', value, 'it carries a user or password, and the node\'s own credentials are never sent to a URL from a message');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw refused('msg.url', value, 'it has no host');
  const addresses = isIP(host) ? [host] : (await lookup(host).catch(() => [])).map((a) => a.address);
  if (addresses.some(isMetadataAddress)) throw refused('msg.url', value, 'its host is a link-local or metadata address');
  return url;
}
