#!/usr/bin/env bash
# `npm run test:node18`: the engine and node tests on our engines floor, Debian's Node 18 on this
# machine's own architecture (no emulation), in a Debian bookworm root (scripts/debian-root/lib.sh)
# with the project mounted at /project. Uses the project's node_modules as `npm ci` made them
# (onnxruntime-node and sharp load through N-API, the same binaries on Node 18 and 20).
# Arguments: test files (default: the list below). Run `npm run build` first (npm test does).
set -euo pipefail
cd "$(dirname "$0")/../.."
PROJECT=$(pwd)
ROOT_LOG_NAME=node18
# shellcheck source=../debian-root/lib.sh
source scripts/debian-root/lib.sh
ARCH=$(dpkg --print-architecture)
[[ -d dist && -d node_modules ]] || die "run npm ci and npm run build first"
# The test assets, provisioned as npm test does (test/helpers/assets/).
ASSETS=$(node scripts/test-assets.js >&2 && node -p "require('./test/helpers/assets/where').assetsDir()") || die "the test assets could not be provisioned (node scripts/test-assets.js)"
TESTS=("$@")
if ((${#TESTS[@]} == 0)); then
  # The engine and the nodes in a real runtime; not the editor tests (Chromium is the host's) nor
  # the ONNX referee (Debian's python3-onnx is the host's),
  # nor those that start the host's mosquitto or RTSP server, nor, unless EDGE_AI_NODE18_ALL=1,
  # the long stress runs (soak, redeploys, slow consumer, deploy cycles, image fuzzing: 7 of the
  # 11.5 minutes all of them take), which load Node 18 no differently than the rest.
  EXCLUDE=(-e rtsp-recovery -e camera-trigger -e examples -e camera-streams -e onnx-referee -e fleet-update)
  [[ ${EDGE_AI_NODE18_ALL:-} == 1 ]] || EXCLUDE+=(-e soak -e redeploys -e slow-consumer -e camera-cycles -e bad-images)
  mapfile -t TESTS < <(ls test/engine/*.test.js test/nodes/*.test.js | grep -v "${EXCLUDE[@]}")
fi

require_root_tools "$ARCH"
WORK=$(mktemp -d /tmp/edge-ai-node18.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
unpack_root "$ARCH" "$ROOT"
ROOT_BINDS="$PROJECT:/work/project $ASSETS:/work/test-assets:ro"
ROOT_ENV="EDGE_AI_TEST_ASSETS=/work/test-assets EDGE_AI_SHARED_ASSETS=${EDGE_AI_SHARED_ASSETS:-first}"
say "Debian's Node $(in_root node --version) on $(in_root node -p 'process.platform + "/" + process.arch'): ${#TESTS[@]} test files"
in_root bash -c "cd /work/project && node node_modules/mocha/bin/mocha.js --no-config --require test/helpers/environment.js --node-option expose-gc --timeout 60000 --exit --reporter test/helpers/reporter.js ${TESTS[*]}"
say "done in $(($(date +%s) - ROOT_START)) s"
