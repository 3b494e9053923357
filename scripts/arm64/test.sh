#!/usr/bin/env bash
# `npm run test:arm64`: the package on arm64 with Debian's Node 18, emulated. Unpacks a Debian
# bookworm arm64 root (scripts/debian-root/lib.sh), installs node-red and the packed package
# there the way the palette manager does, so that sharp's and onnxruntime-node's arm64 binaries
# are what loads, then runs scripts/arm64/smoke.js through a real Node-RED runtime.
# Environment: EDGE_AI_ROOT_CACHE (the roots and npm's cache; default ~/.cache/edge-ai/debian-roots),
# EDGE_AI_ARM64_NODE_RED (default 4.1), EDGE_AI_ARM64_KEEP=1 keeps the unpacked root.
set -euo pipefail
cd "$(dirname "$0")/../.."
PROJECT=$(pwd)
ROOT_LOG_NAME=arm64
# shellcheck source=../debian-root/lib.sh
source scripts/debian-root/lib.sh
NODE_RED_VERSION=${EDGE_AI_ARM64_NODE_RED:-4.1}
RESULTS=$PROJECT/test-output/arm64
# The test assets, provisioned as npm test does (test/helpers/assets/).
ASSETS=$(node scripts/test-assets.js >&2 && node -p "require('./test/helpers/assets/where').assetsDir()") || die "the test assets could not be provisioned (node scripts/test-assets.js)"

require_root_tools arm64
WORK=$(mktemp -d /tmp/edge-ai-arm64.XXXXXX)
if [[ ${EDGE_AI_ARM64_KEEP:-} == 1 ]]; then say "keeping $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
ROOT=$WORK/root
unpack_root arm64 "$ROOT"
mkdir -p "$RESULTS" "$ROOT/opt/node-red" "$ROOT/opt/smoke" "$ROOT/root/.node-red"
cp scripts/arm64/smoke.js "$ROOT/opt/smoke/"

say "packing the package (npm pack)"
PACKED=$(npm pack --silent --pack-destination "$WORK" | tail -1)
cp "$WORK/$PACKED" "$ROOT/opt/smoke/package.tgz"

ROOT_BINDS="$ASSETS:/assets:ro"
ROOT_ENV="EDGE_AI_MODELS=/assets/models EDGE_AI_MEDIA=/assets/media"
NODE_VERSION=$(in_root node --version)
say "Debian's Node $NODE_VERSION on $(in_root node -p 'process.platform + "/" + process.arch'), $(in_root ffmpeg -hide_banner -version | head -1 | cut -d' ' -f1-3)"

say "installing node-red@$NODE_RED_VERSION into /opt/node-red"
in_root bash -c "cd /opt/node-red && npm install --no-audit --no-fund --omit=dev --loglevel=error node-red@$NODE_RED_VERSION" >"$RESULTS/npm-node-red.log" 2>&1 \
  || { cat "$RESULTS/npm-node-red.log"; die "npm install node-red failed"; }

# As the palette manager runs it (@node-red/registry's installer), --engine-strict included.
say "installing $PACKED into the user directory the palette manager's way"
printf '{"name":"node-red-project","description":"A Node-RED Project","version":"0.0.1","private":true,"dependencies":{}}\n' >"$ROOT/root/.node-red/package.json"
in_root bash -c "cd /root/.node-red && npm install --no-audit --no-update-notifier --no-fund --save --save-prefix=~ --omit=dev --engine-strict /opt/smoke/package.tgz" >"$RESULTS/npm-package.log" 2>&1 \
  || { cat "$RESULTS/npm-package.log"; die "npm install of the package failed"; }
in_root node -e "
  const modules = '/root/.node-red/node_modules/';
  require(modules + 'onnxruntime-node');
  const sharp = require(modules + 'sharp');
  console.log('onnxruntime-node ' + require(modules + 'onnxruntime-node/package.json').version + ', sharp ' + sharp.versions.sharp + ' with libvips ' + sharp.versions.vips);
" 2>/dev/null | while read -r line; do say "loads: $line"; done

say "smoke suite through Node-RED"
set +e
in_root node /opt/smoke/smoke.js /opt/node-red /root/.node-red /opt/smoke/result.json
SMOKE=$?
set -e
cp "$ROOT/opt/smoke/result.json" "$RESULTS/result.json" 2>/dev/null || true
((SMOKE == 0)) || die "the smoke suite failed (test-output/arm64/result.json)"

# 32-bit ARM (a Pi on a 32-bit OS): onnxruntime-node has no build; loading the package must
# say so in one line. Debian's armhf Node runs Node-RED from the project's own node_modules.
say "armhf: the package refuses 32-bit ARM in one line"
require_root_tools armhf
ROOT=$WORK/armhf
unpack_root armhf "$ROOT" nodejs,bash,coreutils,dash,libc-bin
ROOT_BINDS="$PROJECT:/work/project:ro"
ROOT_ENV=""
in_root node /work/project/scripts/arm64/refusal.js /work/project | tee "$RESULTS/armhf-refusal.json" \
  || die "the armhf refusal check failed (test-output/arm64/armhf-refusal.json)"
say "done: results in test-output/arm64/, $(($(date +%s) - ROOT_START)) s in all"
