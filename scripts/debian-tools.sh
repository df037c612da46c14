#!/usr/bin/env bash
# Binaries from Debian's packages for the tests and lint, without installing anything: the
# packages are downloaded with `apt-get download` and only the named binaries are unpacked into a
# cache outside the work tree (no system install, no service started, no maintainer script).
# Cached by package version; a later run with the same candidate versions only prints the folder.
#
# Usage: scripts/debian-tools.sh <package>:<binary>...   prints the folder that holds the binaries
#   e.g. scripts/debian-tools.sh prometheus:promtool prometheus-alertmanager:amtool
#        scripts/debian-tools.sh shellcheck:shellcheck
# Env:   TEAM_ENV_CACHE  cache root (default ~/.cache/team-environments; scripts/lib/cache.sh)
set -euo pipefail

# shellcheck source=scripts/lib/cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cache.sh"
cache_root="$TEAM_ENV_CACHE_ROOT"

say() { echo "debian-tools.sh: $*" >&2; }
fail() { say "$*"; exit 2; }

[[ $# -gt 0 ]] || fail "usage: scripts/debian-tools.sh <package>:<binary>..."
packages=()
binaries=()
for spec in "$@"; do
  [[ "$spec" =~ ^([a-z0-9][a-z0-9+.-]+):([A-Za-z0-9._-]+)$ ]] || fail "not <package>:<binary>: $spec"
  packages+=("${BASH_REMATCH[1]}")
  binaries+=("${BASH_REMATCH[2]}")
done
if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
  fail "needs apt-get and dpkg-deb (Debian) to fetch ${binaries[*]}"
fi

# The candidate version of each package; an empty package list (a fresh machine) is refreshed once.
candidates() {
  for p in "${packages[@]}"; do
    LC_ALL=C LANGUAGE=C apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2 }'
  done
}
known() { [[ ${#versions[@]} -eq ${#packages[@]} && " ${versions[*]} " != *" (none) "* ]]; }
# Refreshes Debian's package lists (root only) and reads the candidates again.
refresh() {
  [[ $(id -u) -eq 0 ]] || fail "$1; run \`apt-get update\` as root once, then retry"
  say "$1: apt-get update"
  apt-get update -qq >&2 || fail "apt-get update failed: Debian's package index is unreachable"
  mapfile -t versions < <(candidates)
  known || fail "Debian has no candidate for ${packages[*]} (got: ${versions[*]:-nothing})"
}
mapfile -t versions < <(candidates)
known || refresh "Debian's package lists do not know ${packages[*]}"

# The cache folder of the current candidates, complete when every binary is in it.
folder() {
  specs=()
  for i in "${!packages[@]}"; do specs+=("${packages[$i]}=${versions[$i]}"); done
  dir="$cache_root/debian-tools/$(IFS=_; echo "${specs[*]}" | tr ':=+~' '----')"
}
complete() {
  for b in "${binaries[@]}"; do [[ -x "$dir/$b" ]] || return 1; done
}
# Downloads the packages into $work and moves the binaries into $dir, which appears only when
# complete (a half-unpacked folder is never mistaken for a cached one).
fetch() {
  mkdir -p "$cache_root/debian-tools"
  work="$(mktemp -d "$cache_root/debian-tools/.fetch.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  # Downloading as root into a folder _apt cannot write is fine; say so instead of warning.
  download() { (cd "$work" && rm -f ./*.deb && apt-get download -qq -o APT::Sandbox::User=root "${specs[@]}" >&2); }
  say "fetching ${binaries[*]} from ${specs[*]} (first run only)"
  if ! download; then
    # The lists may name a version the mirror has dropped since (a point or security release).
    refresh "apt-get download ${specs[*]} failed"
    folder
    if complete; then return; fi
    download || fail "apt-get download ${specs[*]} failed after apt-get update"
  fi
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  mkdir -p "$work/bin"
  for b in "${binaries[@]}"; do
    [[ -x "$work/root/usr/bin/$b" ]] || fail "$b is not in the downloaded packages (${specs[*]})"
    mv "$work/root/usr/bin/$b" "$work/bin/$b"
  done
  # Another run may have won the race; its folder is as good as ours.
  if [[ -d "$dir" ]] && ! complete; then rm -rf "$dir"; fi
  mv -T "$work/bin" "$dir" 2>/dev/null || complete || fail "cannot move the binaries into $dir"
}

folder
complete || fetch
for b in "${binaries[@]}"; do
  "$dir/$b" --version >/dev/null 2>&1 || fail "$dir/$b does not run"
done
echo "$dir"
