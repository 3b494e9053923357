# Debian roots for the tests on other platforms (sourced by scripts/arm64/test.sh and
# scripts/node18/test.sh): built from Debian's archive with mmdebstrap, cached, unpacked into a
# folder and entered with chroot, through qemu-user-static when the architecture is foreign.
#
# The roots are unpacked (mmdebstrap's "extract" variant), not installed: running every
# package's maintainer scripts under emulation took 4.9 min for arm64 against 50 s, and Node and
# ffmpeg need only the few files unpack_root makes. Needs root: chroot and bind mounts.

SUITE=bookworm
# Debian's own Node (18.20 in bookworm: our engines floor) and ffmpeg, and a shell to run them.
ROOT_PACKAGES=nodejs,ffmpeg,ca-certificates,bash,coreutils,dash,libc-bin,sed,grep,findutils,tar,gzip
# npm from the npm registry: Debian's own npm package brings ~300 more packages into the root.
ROOT_NPM_VERSION=10.9.9
ROOT_CACHE=${EDGE_AI_ROOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edge-ai/debian-roots}
ROOT_START=$(date +%s)

say() { printf '[%s %4ss] %s\n' "${ROOT_LOG_NAME:-root}" "$(($(date +%s) - ROOT_START))" "$*"; }
die() { echo "${ROOT_LOG_NAME:-root}: $*" >&2; exit 1; }

# Checks root, the tools, and that binaries of ARCH run here (binfmt_misc for a foreign one).
require_root_tools() {
  local arch=$1
  [[ $(id -u) == 0 ]] || die "needs root (chroot and bind mounts); CI runs it as root"
  for tool in mmdebstrap unshare chroot; do
    command -v "$tool" >/dev/null || die "needs $tool: apt-get install mmdebstrap"
  done
  [[ $arch == "$(dpkg --print-architecture)" ]] && return 0
  for tool in "qemu-$(arch_qemu "$arch")-static" arch-test update-binfmts; do
    command -v "$tool" >/dev/null || die "needs $tool: apt-get install qemu-user-static binfmt-support arch-test"
  done
  # A fresh machine may not have binfmt_misc mounted.
  if ! arch-test "$arch" >/dev/null 2>&1; then
    mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    update-binfmts --enable "qemu-$(arch_qemu "$arch")" || true
    arch-test "$arch" >/dev/null 2>&1 || die "$arch binaries do not run here: binfmt_misc with qemu is not available"
  fi
  say "$arch binaries run through $("qemu-$(arch_qemu "$arch")-static" --version | head -1)"
}

arch_qemu() { case $1 in arm64) echo aarch64 ;; armhf) echo arm ;; amd64) echo x86_64 ;; *) echo "$1" ;; esac; }
arch_triplet() { case $1 in arm64) echo aarch64-linux-gnu ;; armhf) echo arm-linux-gnueabihf ;; amd64) echo x86_64-linux-gnu ;; *) die "no triplet for $1" ;; esac; }

# Prints the path of the cached root tarball for ARCH with PACKAGES (default ROOT_PACKAGES),
# building it first if needed.
root_tarball() {
  local arch=$1 packages=${2:-$ROOT_PACKAGES} key tarball
  key=$(printf '%s %s %s extract v1' "$SUITE" "$packages" "$arch" | sha256sum | cut -c1-12)
  tarball=$ROOT_CACHE/$SUITE-$arch-$key.tar
  mkdir -p "$ROOT_CACHE"
  if [[ -f $tarball ]]; then
    say "Debian root from the cache: $tarball" >&2
  else
    say "building the Debian $SUITE $arch root with mmdebstrap ($packages)" >&2
    # The target's name ends in .tar: mmdebstrap picks the output format from it.
    mmdebstrap --quiet --arch="$arch" --variant=extract --include="$packages" --format=tar \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      "$SUITE" "$tarball.part.tar" \
      "deb http://deb.debian.org/debian $SUITE main" "deb http://deb.debian.org/debian-security $SUITE-security main" >&2
    mv "$tarball.part.tar" "$tarball"
    say "root built: $(du -m "$tarball" | cut -f1) MB" >&2
  fi
  echo "$tarball"
}

# Unpacks ARCH's root (with PACKAGES, default ROOT_PACKAGES) into DIR and makes what the maintainer scripts would have made: the
# BLAS/LAPACK alternatives ffmpeg links to, the user files, a writable /tmp; copies the host's
# resolver and CA bundle (a TLS proxy may sit between us and the registry); puts npm in /opt/npm.
unpack_root() {
  local arch=$1 dir=$2 packages=${3:-} triplet npm_tgz
  triplet=$(arch_triplet "$arch")
  mkdir -p "$dir"
  tar -xf "$(root_tarball "$arch" "$packages")" -C "$dir"
  if [[ -d $dir/usr/lib/$triplet/blas ]]; then
    ln -sf blas/libblas.so.3 "$dir/usr/lib/$triplet/libblas.so.3"
    ln -sf lapack/liblapack.so.3 "$dir/usr/lib/$triplet/liblapack.so.3"
  fi
  printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
  chmod 1777 "$dir/tmp"
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf"
  mkdir -p "$dir/etc/ssl/certs"
  cp -L /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
  npm_tgz=$ROOT_CACHE/npm-$ROOT_NPM_VERSION.tgz
  [[ -f $npm_tgz ]] || (cd "$ROOT_CACHE" && npm pack --silent "npm@$ROOT_NPM_VERSION" >/dev/null)
  mkdir -p "$dir/opt/npm" "$dir/root/.npm"
  tar -xzf "$npm_tgz" -C "$dir/opt/npm" --strip-components=1
  # npm's own bin/npm looks for itself beside node; this one knows where it is.
  mkdir -p "$dir/usr/local/bin"
  printf '#!/bin/sh\nexec node /opt/npm/bin/npm-cli.js "$@"\n' >"$dir/usr/local/bin/npm"
  chmod 755 "$dir/usr/local/bin/npm"
  mkdir -p "$ROOT_CACHE/npm-cache"
}

# Runs a command in the unpacked root $ROOT with /proc, /dev and npm's cache mounted, plus the bind mounts
# listed in ROOT_BINDS ("host-path:root-path" or "host-path:root-path:ro") and the variables in
# ROOT_ENV ("NAME=value ...", no spaces in values) set; the mounts live in
# this command's own mount namespace and vanish with it. Not /sys: onnxruntime's cpuinfo reads
# the x86 host's CPU topology there and crashes under emulation (SIGSEGV at load); without it,
# it warns "Unknown CPU vendor" and runs.
in_root() {
  unshare --mount --propagation private -- bash -euo pipefail -c '
    root=$1; cache=$2; binds=$3; environment=$4; shift 4
    mount --bind /proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --bind "$cache" "$root/root/.npm"
    for bind in $binds; do
      IFS=: read -r from to mode <<<"$bind"
      mkdir -p "$root$to"
      mount --bind "$from" "$root$to"
      [[ $mode != ro ]] || mount -o remount,bind,ro "$root$to"
    done
    exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin TERM=dumb \
      NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt npm_config_cafile=/etc/ssl/certs/ca-certificates.crt \
      npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false $environment "$@"
  ' in_root "$ROOT" "$ROOT_CACHE/npm-cache" "${ROOT_BINDS:-}" "${ROOT_ENV:-}" "$@"
}
