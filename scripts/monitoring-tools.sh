#!/usr/bin/env bash
# promtool (Debian's `prometheus`) and amtool (Debian's `prometheus-alertmanager`) for the alert
# and routing tests. Only the two binaries are taken: the packages are downloaded with
# `apt-get download` and unpacked into a cache outside the work tree, so nothing is installed
# system-wide, no service is started and no maintainer script runs. Cached by package version;
# a later run with the same candidate versions only prints the directory.
#
# Usage: scripts/monitoring-tools.sh        prints the directory that holds promtool and amtool
# Env:   TEAM_ENV_CACHE  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/team-environments)
set -euo pipefail

cache_root="${TEAM_ENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/team-environments}"
packages=(prometheus prometheus-alertmanager)

say() { echo "monitoring-tools.sh: $*" >&2; }
fail() { say "$*"; exit 2; }

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
  fail "needs apt-get and dpkg-deb (Debian) to fetch promtool and amtool"

# The candidate version of each package; an empty package list (a fresh machine) is refreshed once.
candidates() {
  for p in "${packages[@]}"; do
    apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2 }'
  done
}
read -r -d '' -a versions < <(candidates && printf '\0') || true
if [[ ${#versions[@]} -ne ${#packages[@]} || " ${versions[*]} " == *" (none) "* ]]; then
  say "Debian's package lists do not know ${packages[*]}: apt-get update"
  [[ $(id -u) -eq 0 ]] || fail "apt-get update needs root; run it once, then retry"
  apt-get update -qq >&2 || fail "apt-get update failed: Debian's package index is unreachable"
  read -r -d '' -a versions < <(candidates && printf '\0') || true
  [[ ${#versions[@]} -eq ${#packages[@]} && " ${versions[*]} " != *" (none) "* ]] ||
    fail "Debian has no candidate for ${packages[*]} (got: ${versions[*]:-nothing})"
fi

dir="$cache_root/monitoring-tools/prometheus-${versions[0]}_alertmanager-${versions[1]}"
if [[ ! -x "$dir/promtool" || ! -x "$dir/amtool" ]]; then
  say "fetching promtool ${versions[0]} and amtool ${versions[1]} into $dir (first run only)"
  mkdir -p "$(dirname "$dir")"
  work="$(mktemp -d "$(dirname "$dir")/.fetch.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  specs=()
  for i in "${!packages[@]}"; do specs+=("${packages[$i]}=${versions[$i]}"); done
  # Downloading as root into a folder _apt cannot write is fine; say so instead of warning.
  (cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "${specs[@]}" >&2) ||
    fail "apt-get download ${specs[*]} failed"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  mkdir -p "$work/bin"
  for tool in promtool amtool; do
    [[ -x "$work/root/usr/bin/$tool" ]] || fail "$tool is not in the downloaded packages (${specs[*]})"
    mv "$work/root/usr/bin/$tool" "$work/bin/$tool"
  done
  rm -rf "$dir"
  # A half-unpacked folder is never mistaken for a cached one: it appears only when complete.
  mv "$work/bin" "$dir"
fi
"$dir/promtool" --version >/dev/null 2>&1 || fail "$dir/promtool does not run"
"$dir/amtool" --version >/dev/null 2>&1 || fail "$dir/amtool does not run"
echo "$dir"
