# shellcheck shell=bash
# Debian's packages for the build scripts (sourced, never run; needs log and die, scripts/lib/log.sh).
# scripts/debian-tools.sh fetches single binaries without installing; this installs packages.

# debian_candidates PKG...: "PKG=VERSION" for each package Debian's lists have a candidate for
# (one apt-cache call: each takes most of a second).
debian_candidates() {
  LC_ALL=C LANGUAGE=C apt-cache policy "$@" 2>/dev/null |
    awk '/^[^ ]/ { p = $1; sub(/:$/, "", p) } /^  Candidate:/ && $2 != "(none)" { print p "=" $2 }'
}

# debian_known PKG...: true when Debian's lists have a candidate for every package.
debian_known() { [[ "$(debian_candidates "$@" | wc -l)" -eq $# ]]; }

# debian_lists_know PKG...: refreshes Debian's package lists once (root only) when they do not
# know every package yet (a fresh machine); dies naming the packages when they still do not.
debian_lists_know() {
  debian_known "$@" && return 0
  [[ $(id -u) -eq 0 ]] || die "Debian's package lists do not know $*: run \`apt-get update\` as root once, then retry"
  log "Debian's package lists do not know $*: apt-get update"
  apt-get update -qq >/dev/null || die "apt-get update failed: Debian's package index is unreachable"
  debian_known "$@" || die "Debian has no candidate for $* (is this machine's apt pointed at Debian?)"
}

# debian_install PKG...: installs the packages not installed yet (root only), quietly.
debian_install() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} > 0)) || return 0
  command -v apt-get >/dev/null || die "needs Debian's ${missing[*]} and this machine has no apt-get"
  [[ $(id -u) -eq 0 ]] || die "needs Debian's ${missing[*]}: run as root, or apt-get install ${missing[*]}"
  debian_lists_know "${missing[@]}"
  log "installing ${missing[*]} from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
}
