#!/usr/bin/env bash
# Binaries from Debian's packages for the tests and lint, without installing anything: the
# packages are downloaded with `apt-get download` and only the named binaries are unpacked into a
# cache outside the work tree (no system install, no service started, no maintainer script).
# Cached by package version; a later run with the same candidate versions only prints the folder.
#
# Usage: scripts/debian-tools.sh <package>:<binary>...   prints the folder that holds the binaries
#   e.g. scripts/debian-tools.sh prometheus:promtool prometheus-alertmanager:amtool
#        scripts/debian-tools.sh shellcheck:shellcheck
# Env:   TEAM_ENV_CACHE  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/team-environments)
set -euo pipefail

cache_root="${TEAM_ENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/team-environments}"

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
    apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2 }'
  done
}
known() { [[ ${#versions[@]} -eq ${#packages[@]} && " ${versions[*]} " != *" (none) "* ]]; }
read -r -d '' -a versions < <(candidates && printf '\0') || true
if ! known; then
  say "Debian's package lists do not know ${packages[*]}: apt-get update"
  [[ $(id -u) -eq 0 ]] || fail "apt-get update needs root; run it once, then retry"
  apt-get update -qq >&2 || fail "apt-get update failed: Debian's package index is unreachable"
  read -r -d '' -a versions < <(candidates && printf '\0') || true
  known || fail "Debian has no candidate for ${packages[*]} (got: ${versions[*]:-nothing})"
fi

specs=()
for i in "${!packages[@]}"; do specs+=("${packages[$i]}=${versions[$i]}"); done
dir="$cache_root/debian-tools/$(IFS=_; echo "${specs[*]}" | tr ':=+~' '----')"
missing=0
for b in "${binaries[@]}"; do [[ -x "$dir/$b" ]] || missing=1; done
if [[ $missing -eq 1 ]]; then
  say "fetching ${binaries[*]} from ${specs[*]} into $dir (first run only)"
  mkdir -p "$(dirname "$dir")"
  work="$(mktemp -d "$(dirname "$dir")/.fetch.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  # Downloading as root into a folder _apt cannot write is fine; say so instead of warning.
  (cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "${specs[@]}" >&2) ||
    fail "apt-get download ${specs[*]} failed"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  mkdir -p "$work/bin"
  for b in "${binaries[@]}"; do
    [[ -x "$work/root/usr/bin/$b" ]] || fail "$b is not in the downloaded packages (${specs[*]})"
    mv "$work/root/usr/bin/$b" "$work/bin/$b"
  done
  rm -rf "$dir"
  # A half-unpacked folder is never mistaken for a cached one: it appears only when complete.
  mv "$work/bin" "$dir"
fi
for b in "${binaries[@]}"; do
  "$dir/$b" --version >/dev/null 2>&1 || fail "$dir/$b does not run"
done
echo "$dir"
