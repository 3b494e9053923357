#!/usr/bin/env node
// preinstall: keeps onnxruntime-node's install script from downloading its CUDA files when a
// user installs this package (npm install, Node-RED's palette manager).
//
// On linux/x64, onnxruntime-node's postinstall fetches ~300 MB of CUDA/TensorRT providers from
// NuGet unless told `onnxruntime-node-install=skip`, and a project's .npmrc does not reach a
// user's Node-RED directory. Offline (NuGet unreachable) the download fails and takes the whole
// install down with it; online it downloads files this package never loads (it runs on the CPU
// build that ships inside the npm package). The script skips the download only when the files
// it would fetch already exist, and npm runs every package's preinstall before any package's
// postinstall, so this writes those files as empty placeholders first. They are never loaded:
// onnxruntime opens them only for the CUDA or TensorRT execution provider, which this package
// does not use. Whoever asks for CUDA explicitly (ONNXRUNTIME_NODE_INSTALL=cuda12, or the npm
// setting) is left alone: the script then downloads and overwrites them.
// No library does this; it is plain Node with no dependencies because it runs before any are built.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const PACKAGE = 'onnxruntime-node';

/** onnxruntime-node's own switches; any value but "skip" means the user wants its download. */
function downloadRequested(env) {
  const flags = [env.ONNXRUNTIME_NODE_INSTALL, env.npm_config_onnxruntime_node_install,
    env.ONNXRUNTIME_NODE_INSTALL_CUDA, env.npm_config_onnxruntime_node_install_cuda];
  return flags.some((flag) => flag !== undefined && flag !== '' && flag !== 'skip');
}

/** onnxruntime-node's folder as Node would resolve it from this package (hoisted or nested). */
function findOnnxruntime(from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', PACKAGE);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The files onnxruntime-node's install script would download on this platform. */
function downloadedFiles(ortDir, platform) {
  const metadata = require(path.join(ortDir, 'script', 'install-metadata.js'));
  const binDir = path.join(ortDir, 'bin', 'napi-v6', platform);
  return (metadata.requirements?.[platform] ?? []).flatMap((name) =>
    Object.keys(metadata.manifests?.[`${platform}:${name}`] ?? {}).map((file) => path.join(binDir, file)));
}

/** Writes the placeholders; returns what it wrote, or why it wrote nothing. */
function skipDownload({ from = path.resolve(__dirname, '..'), env = process.env, platform = `${process.platform}/${process.arch}` } = {}) {
  if (downloadRequested(env)) return { skipped: 'the CUDA download was asked for' };
  const ortDir = findOnnxruntime(from);
  if (!ortDir) return { skipped: `${PACKAGE} not found` };
  const written = [];
  for (const file of downloadedFiles(ortDir, platform)) {
    if (fs.existsSync(file)) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
    written.push(file);
  }
  return { written };
}

module.exports = { skipDownload, downloadRequested };

if (require.main === module) {
  try {
    const { written } = skipDownload();
    if (written?.length) {
      console.log(`@edgeflow/node-red-edge-ai: onnxruntime-node's CUDA download skipped (CPU build only; placeholders: ${written.map((f) => path.basename(f)).join(', ')})`);
    }
  } catch (err) {
    // Never fail the user's install over this: at worst onnxruntime-node downloads as it would have.
    console.warn(`@edgeflow/node-red-edge-ai: could not skip onnxruntime-node's CUDA download: ${err.message}`);
  }
}
