# Container image of @edgeflow/node-red-edge-ai: Node-RED 4.1 with this package installed the way
# the palette manager installs it, Debian's ffmpeg for cameras and streams, a non-root user, the
# flows and models on the /data volume. deploy/README.md says how to run it (docker, podman,
# compose, k3s), and scripts/container-test.sh builds and checks it.
#
# Build for this machine:
#   docker build -t node-red-edge-ai .                 (BuildKit, the default builder of docker 23+)
#   podman build --format docker -t node-red-edge-ai . (docker format keeps the HEALTHCHECK; OCI drops it)
# Build for a Raspberry Pi (arm64) and x86-64 at once; nothing in this file depends on the
# architecture, the build stage runs on the build machine's own platform and the runtime stage
# under emulation (qemu-user-static with binfmt_misc) for the other one:
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/node-red-edge-ai:0.1.0 --push .
#   podman build --format docker --platform linux/amd64,linux/arm64 --manifest node-red-edge-ai:0.1.0 .
#   podman manifest push --all node-red-edge-ai:0.1.0 docker://REGISTRY/node-red-edge-ai:0.1.0
# Behind a TLS-intercepting proxy, hand npm the proxy's CA as a build secret (never as a file in
# the image or a build argument):
#   podman build --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt ...
#   docker build --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt ...
#
# The base is Debian (glibc), not Alpine (musl): onnxruntime-node ships glibc binaries only, and
# sharp's prebuilt libvips for musl is a separate build that this package is not tested with.
# Any Debian bookworm image with Node.js >= 18.17 and npm on the PATH works as NODE_IMAGE (the
# official one keeps node in /usr/local/bin, Debian's nodejs package in /usr/bin: nothing here
# names either). scripts/container-test.sh builds on a Debian root made by mmdebstrap with
# Debian's Node 18 when no registry can be reached.
#
# No `# syntax=` line on purpose: it would make BuildKit fetch its Dockerfile frontend from Docker
# Hub at every build. The frontend built into current Docker (BuildKit) and buildah 1.28 both
# know RUN --mount=type=secret,required=false (buildah 1.28.2 checked here; Docker was not).
ARG NODE_IMAGE=docker.io/library/node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: `npm ci` and `npm pack` from these sources. The tarball is the same on every
# architecture, so this stage runs on the build machine's platform, not under emulation.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies first, so a change to the sources does not download them again. No scripts here:
# nothing is built yet, and onnxruntime-node's install script has nothing to do for a build
# (.npmrc holds onnxruntime-node-install=skip all the same).
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=secret,id=npm_ca,required=false \
    set -eu; \
    if [ -s /run/secrets/npm_ca ]; then \
      export npm_config_cafile=/run/secrets/npm_ca NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; \
    fi; \
    npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier --cache /tmp/npm-cache; \
    rm -rf /tmp/npm-cache
# `npm pack` runs the package's `prepare` script, which builds dist/ (tsc + copies) first.
COPY . .
RUN mkdir /out && npm pack --pack-destination /out --no-update-notifier \
    && mv /out/*.tgz /out/node-red-edge-ai.tgz
# Lets a build script find (and prune) this stage's untagged images.
LABEL io.edgeflow.node-red-edge-ai.stage=build

# ---------------------------------------------------------------------------------------------
# runtime
FROM ${NODE_IMAGE}
ARG NODE_RED_VERSION=~4.1
LABEL org.opencontainers.image.title="node-red-edge-ai" \
      org.opencontainers.image.description="Node-RED with @edgeflow/node-red-edge-ai: camera, preprocessing, int8 ONNX inference and triggers on the device" \
      org.opencontainers.image.source="https://github.com/edgeflow/node-red-edge-ai" \
      org.opencontainers.image.licenses="Apache-2.0"

# ffmpeg: USB/V4L2 cameras, RTSP/HTTP streams and video files (Debian's build, as on a Pi).
# tini: PID 1 that forwards signals to Node-RED and reaps what the camera's children leave.
# Not here: rpicam-apps (the Raspberry Pi camera source runs rpicam-vid), which only Raspberry
# Pi OS's archive has; deploy/README.md says what to do for a Pi camera.
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg tini; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*

# The user: uid 1000, gid 1000, in group video (gid 44 on Debian and Raspberry Pi OS) so a camera
# passed with --device can be opened. The official node image has it already as `node`; a plain
# Debian base does not.
RUN set -eu; \
    if ! getent passwd 1000 >/dev/null; then \
      groupadd --gid 1000 node; \
      useradd --uid 1000 --gid 1000 --create-home --home-dir /home/node --shell /bin/sh node; \
    fi; \
    usermod -a -G video "$(getent passwd 1000 | cut -d: -f1)"; \
    # /data belongs to uid 1000 and group 0 with group write: the image's own user writes it, and
    # so does any other uid run with group 0 (`--user 1234:0`, OpenShift's convention). A new
    # named volume takes these from the image; a bind-mounted folder keeps its own owner.
    mkdir -p /data /opt/edge-ai; \
    chown 1000:0 /data; \
    chmod 0775 /data

# Node-RED and this package in /opt/edge-ai, owned by root and read-only to the user: an
# `npm install --omit=dev` of Node-RED and the packed tarball, with the flags Node-RED's palette
# manager uses, so npm picks sharp's and onnxruntime-node's binaries for this platform. Node-RED
# finds the package because it scans the node_modules folder it is installed in. Nodes added
# later from the palette go to /data/node_modules.
WORKDIR /opt/edge-ai
COPY --from=build /out/node-red-edge-ai.tgz /tmp/node-red-edge-ai.tgz
COPY .npmrc ./
RUN --mount=type=secret,id=npm_ca,required=false \
    set -eu; \
    if [ -s /run/secrets/npm_ca ]; then \
      export npm_config_cafile=/run/secrets/npm_ca NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; \
    fi; \
    printf '{\n  "name": "edge-ai-image",\n  "private": true,\n  "description": "Node-RED and @edgeflow/node-red-edge-ai as installed in the container image"\n}\n' > package.json; \
    # Not the palette's --engine-strict: it checks the whole tree, and Node-RED 4.1's own
    # (validate-npm-package-name@7 under @node-red/registry) asks for Node >= 20.17, so it would
    # refuse Node-RED itself on Node 18, where it runs. This package's engines are checked below.
    npm install --omit=dev --no-audit --no-fund --no-update-notifier --save --save-prefix=~ \
      --cache /tmp/npm-cache "node-red@${NODE_RED_VERSION}" /tmp/node-red-edge-ai.tgz; \
    node -e "const p = require('@edgeflow/node-red-edge-ai/package.json'); \
      if (!require('semver').satisfies(process.version, p.engines.node)) { \
        console.error(p.name + ' needs Node.js ' + p.engines.node + ', the base image has ' + process.version); process.exit(1); }"; \
    # onnxruntime-node carries the CPU build of every platform (~300 MB); keep this one's.
    ort=/opt/edge-ai/node_modules/onnxruntime-node/bin/napi-v6; \
    arch="$(node -p process.arch)"; \
    test -d "$ort/linux/$arch"; \
    find "$ort" -mindepth 1 -maxdepth 1 -type d ! -name linux -exec rm -rf {} +; \
    find "$ort/linux" -mindepth 1 -maxdepth 1 -type d ! -name "$arch" -exec rm -rf {} +; \
    # Both native parts must load here, or the image is no use. Except onnxruntime in a build
    # for arm64 emulated by qemu on an x86 machine (`buildx --platform`): its cpuinfo reads the
    # x86 host's CPU topology in /sys and crashes (SIGSEGV); on an arm64 machine it loads.
    if [ "$(node -p process.arch)" = arm64 ] && grep -q -e GenuineIntel -e AuthenticAMD /proc/cpuinfo; then \
      echo "arm64 under emulation: onnxruntime-node's load not checked here"; node -e "require('sharp')"; \
    else \
      node -e "require('sharp'); require('onnxruntime-node')"; \
    fi; \
    rm -rf /tmp/npm-cache /tmp/node-red-edge-ai.tgz /root/.npm
COPY deploy/container/settings.js deploy/container/entrypoint.sh /opt/edge-ai/
RUN chmod 0755 /opt/edge-ai/entrypoint.sh && chmod 0644 /opt/edge-ai/settings.js

# MALLOC_ARENA_MAX=2: glibc otherwise gives every thread (inference workers, libvips,
# onnxruntime) a malloc arena of its own and keeps what was freed in it; RSS settled ~130 MB
# higher in the soak test without it. --single-threaded-gc is decided by entrypoint.sh (it
# cannot go in NODE_OPTIONS). NPM_CONFIG_CACHE and HOME-less users: palette installs by any uid
# write their npm cache on the volume.
ENV PATH=/opt/edge-ai/node_modules/.bin:$PATH \
    NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    NPM_CONFIG_CACHE=/data/.npm \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    TINI_SUBREAPER=1 \
    PORT=1880

# flows.json, flows_cred.json, installed palette nodes, and the models (/data/edge-ai-models).
VOLUME ["/data"]
EXPOSE 1880
# Numeric, so Kubernetes can check runAsNonRoot; the uid alone (no :gid), so the runtime adds the
# user's groups from /etc/group (video) as well as its primary group.
USER 1000
WORKDIR /data

# GET /edge-ai/health through the package's CLI: the bearer token (under adminAuth) comes from
# EDGE_AI_HEALTH_TOKEN or /run/secrets/edge-ai-health-token; exit 0 healthy, 1 failing, 2 no
# answer. Models can take a while to load on a Pi: hence the start period.
HEALTHCHECK --interval=30s --timeout=15s --start-period=120s --retries=3 \
    CMD ["edge-ai-model", "health", "--timeout", "10"]

# Node-RED gets 15 s to close its flows: stop the container with a grace period above that
# (docker stop -t 30; compose and the k8s manifests set 30 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/edge-ai/entrypoint.sh"]
CMD []
