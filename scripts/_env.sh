# shellcheck shell=bash
# Shared by scripts/*: finds (or builds, via scripts/setup) a Python 3.14 environment and runs
# commands in it. Where `python3.14` is on PATH it is used directly; elsewhere a cached Debian
# forky root (built once by scripts/setup) is entered with unshare + chroot.

EC_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EC_CACHE=${EC_CACHE:-$HOME/.cache/energy-correlator}
EC_ROOT=$EC_CACHE/root
EC_REQ_HASH=$(cat "$EC_REPO/requirements_test.txt" | sha256sum | cut -c1-16)

if command -v python3.14 >/dev/null 2>&1 && [ -z "${EC_FORCE_ROOT:-}" ]; then
  EC_MODE=host
  EC_VENV=$EC_CACHE/venv-host
else
  EC_MODE=root
  EC_VENV=/opt/venv
fi

# ec_run CMD...: run CMD with the environment's venv first on PATH, from the repo root.
ec_run() {
  if [ "$EC_MODE" = host ]; then
    (cd "$EC_REPO" && PATH="$EC_VENV/bin:$EC_CACHE/vm/usr/bin:$PATH" "$@")
  else
    local q
    q=$(printf '%q ' "$@")
    unshare --mount --fork bash -c '
      set -e
      R=$1; REPO=$2; shift 2
      mkdir -p "$R$REPO"
      mount --rbind /proc "$R/proc"
      mount --rbind /dev "$R/dev"
      mount --rbind /sys "$R/sys"
      mount --bind "$REPO" "$R$REPO"
      cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
      exec chroot "$R" env -i HOME=/root TERM="${TERM:-dumb}" CI="${CI:-}" LANG=C.UTF-8 \
        PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin \
        PIP_CERT=/etc/ssl/certs/ca-certificates.crt EC_BENCH_ARGS="${EC_BENCH_ARGS:-}" \
        bash -c "cd \"$REPO\" && $*"
    ' _ "$EC_ROOT" "$EC_REPO" "$q"
  fi
}
