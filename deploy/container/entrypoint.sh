#!/bin/sh
# Starts Node-RED in the @edgeflow/node-red-edge-ai container image (tini runs this as PID 1's
# child; `exec` below makes Node-RED that child, so SIGTERM from `docker stop` or the kubelet
# reaches it and it closes its flows: cameras stopped, inference workers ended).
#
# Environment:
#   PORT                          Node-RED's port (1880)
#   EDGE_AI_SINGLE_THREADED_GC    auto (default) | 1 | 0: start node with --single-threaded-gc.
#                                 auto turns it on when the container has 2 CPUs or fewer (its
#                                 CPU set, or a CPU quota such as docker --cpus or a k8s CPU
#                                 limit): with inference and image decoding keeping both cores
#                                 busy, V8's parallel GC helpers wait for a core and stretch the
#                                 event loop's pauses (measured 21-25 ms -> 9-12 ms). The flag
#                                 cannot go in NODE_OPTIONS (node refuses it there).
#   EDGE_AI_NODE_ARGS             more arguments for node itself, e.g. --max-old-space-size=512
#   EDGE_AI_FLOWS_SEED            a flows file to start from (/etc/edge-ai/seed/flows.json): copied
#                                 to /data/flows.json when that does not exist yet
#   EDGE_AI_FLOWS_SEED_MODE       missing (default) | always: `always` replaces /data/flows.json
#                                 with the seed at every start (flows kept in git / a ConfigMap;
#                                 changes deployed from the editor last until the next restart)
#   EDGE_AI_SETTINGS              Node-RED settings file (/opt/edge-ai/settings.js)
# Arguments given to the container are passed on to Node-RED (e.g. --safe).
set -eu

APP=/opt/edge-ai
DATA=/data
SETTINGS=${EDGE_AI_SETTINGS:-$APP/settings.js}
SEED=${EDGE_AI_FLOWS_SEED:-/etc/edge-ai/seed/flows.json}

log() { echo "[edge-ai] $*" >&2; }

if [ ! -d "$DATA" ] || [ ! -w "$DATA" ]; then
  log "error: $DATA is not writable by uid $(id -u) gid $(id -g) ($(ls -ldn "$DATA" 2>/dev/null || echo missing))."
  log "Give that user the folder (chown on the host for a bind mount), run with --user 1000:1000,"
  log "or with group 0 (--user UID:0): the image's /data is writable by uid 1000 and group 0."
  exit 1
fi
# Palette installs run npm, which wants a writable home; an arbitrary uid may have none.
if [ -z "${HOME:-}" ] || [ ! -w "${HOME}" ]; then export HOME="$DATA"; fi

if [ -f "$SEED" ]; then
  case "${EDGE_AI_FLOWS_SEED_MODE:-missing}" in
    always)
      cp "$SEED" "$DATA/flows.json.seed.tmp" && mv -f "$DATA/flows.json.seed.tmp" "$DATA/flows.json"
      log "flows: $DATA/flows.json replaced by $SEED (EDGE_AI_FLOWS_SEED_MODE=always)" ;;
    missing)
      if [ ! -e "$DATA/flows.json" ]; then
        cp "$SEED" "$DATA/flows.json"
        log "flows: $DATA/flows.json created from $SEED"
      fi ;;
    *) log "error: EDGE_AI_FLOWS_SEED_MODE must be missing or always, not '${EDGE_AI_FLOWS_SEED_MODE}'"; exit 1 ;;
  esac
fi

# CPUs this container may use: its CPU set (nproc), lowered by a CFS quota (cgroup v2 or v1).
cpus=$(nproc 2>/dev/null || echo 0)
quota=""
if [ -r /sys/fs/cgroup/cpu.max ]; then
  read -r q p < /sys/fs/cgroup/cpu.max || true
  if [ "${q:-max}" != max ] && [ "${p:-0}" -gt 0 ]; then quota=$(( (q + p - 1) / p )); fi
elif [ -r /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] && [ -r /sys/fs/cgroup/cpu/cpu.cfs_period_us ]; then
  q=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us); p=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)
  if [ "$q" -gt 0 ] && [ "$p" -gt 0 ]; then quota=$(( (q + p - 1) / p )); fi
fi
if [ -n "$quota" ] && { [ "$cpus" -eq 0 ] || [ "$quota" -lt "$cpus" ]; }; then cpus=$quota; fi

gc=""
case "${EDGE_AI_SINGLE_THREADED_GC:-auto}" in
  1|true|yes) gc="--single-threaded-gc" ;;
  0|false|no) gc="" ;;
  auto) if [ "$cpus" -ge 1 ] && [ "$cpus" -le 2 ]; then gc="--single-threaded-gc"; fi ;;
  *) log "error: EDGE_AI_SINGLE_THREADED_GC must be auto, 1 or 0, not '${EDGE_AI_SINGLE_THREADED_GC}'"; exit 1 ;;
esac

log "node $(node --version), $cpus CPU(s), GC: ${gc:-parallel}, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-unset}, userDir $DATA, port ${PORT:-1880}"
# EDGE_AI_NODE_ARGS is split into words on purpose.
# shellcheck disable=SC2086
exec node $gc ${EDGE_AI_NODE_ARGS:-} "$APP/node_modules/node-red/red.js" --userDir "$DATA" --settings "$SETTINGS" "$@"
