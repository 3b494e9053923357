// Whether this machine can run the package, decided before any native module loads.
// onnxruntime-node ships builds for 64-bit Linux with glibc (x64, arm64), macOS on Apple silicon
// and Windows (x64, arm64) only; elsewhere (a Raspberry Pi on 32-bit OS, Alpine's musl) its
// require() fails with a loader's stack trace, so the nodes refuse first, in one line.
import { familySync, GLIBC } from 'detect-libc';

export const SUPPORTED_PLATFORMS = 'Linux with glibc on x64 or arm64 (Raspberry Pi OS 64-bit, Debian, Ubuntu; not Alpine/musl, not 32-bit ARM), macOS on arm64, Windows on x64 or arm64, with Node.js 18.17 or later';

const BUILDS: Record<string, string[]> = { linux: ['x64', 'arm64'], darwin: ['arm64'], win32: ['x64', 'arm64'] };
const MIN_NODE: [number, number] = [18, 17];

export interface PlatformFacts {
  platform: string;
  arch: string;
  /** The C library on Linux ("glibc", "musl"), null when unknown. */
  libc?: string | null;
  nodeVersion: string;
}

const NO_BUILD = 'onnxruntime-node, which runs the models, has no build for it';

/** What is wrong with this platform for the package and why, in a few words; undefined when it can run. */
export function platformProblem(facts: PlatformFacts): string | undefined {
  const [major, minor] = facts.nodeVersion.replace(/^v/, '').split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) return `Node.js ${facts.nodeVersion} (too old)`;
  if (!BUILDS[facts.platform]?.includes(facts.arch)) {
    return `${facts.platform}/${facts.arch} (${facts.arch === 'arm' ? `32-bit ARM: ${NO_BUILD}; install a 64-bit OS` : NO_BUILD})`;
  }
  if (facts.platform === 'linux' && facts.libc && facts.libc !== GLIBC) return `linux/${facts.arch} with ${facts.libc} (${NO_BUILD})`;
  return undefined;
}

/** The one line a refused platform gets. */
export function platformMessage(problem: string): string {
  return `@edgeflow/node-red-edge-ai cannot run on ${problem}. It needs ${SUPPORTED_PLATFORMS}.`;
}

/** Throws an Error whose message is that one line (no stack worth reading) on a platform we cannot run on. */
export function assertSupportedPlatform(facts: PlatformFacts = {
  platform: process.platform, arch: process.arch, nodeVersion: process.version, libc: process.platform === 'linux' ? familySync() : undefined,
}): void {
  const problem = platformProblem(facts);
  if (!problem) return;
  const err = new Error(platformMessage(problem));
  // Node-RED prints err.toString(); nothing below the line helps anyone.
  err.stack = err.toString();
  throw err;
}
