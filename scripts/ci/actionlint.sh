#!/usr/bin/env bash
# Lints .github/workflows/*.yml with a pinned actionlint, built from source with the Go toolchain
# (no prebuilt binary download) into a cache outside the work tree and reused on later runs.
# run: blocks are checked with ShellCheck (on PATH, else Debian's via scripts/debian-tools.sh);
# pyflakes only when it is on PATH.
#
# Usage: scripts/ci/actionlint.sh [workflow files...]   (default: .github/workflows/*.yml)
# Env:   TEAM_ENV_CACHE  cache root (default ~/.cache/team-environments; scripts/lib/cache.sh)
#        ACTIONLINT_VERSION  override the pinned version (default below)
set -euo pipefail

version="${ACTIONLINT_VERSION:-v1.7.12}"
# shellcheck source=scripts/lib/cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cache.sh"
cache_root="$TEAM_ENV_CACHE_ROOT"
bin_dir="$cache_root/actionlint-$version"
bin="$bin_dir/actionlint"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if [[ ! -x "$bin" ]]; then
  go_bin="$(command -v go || true)"
  [[ -z "$go_bin" && -x /usr/local/go/bin/go ]] && go_bin=/usr/local/go/bin/go
  if [[ -z "$go_bin" ]]; then
    echo "actionlint.sh: Go toolchain not found (need 'go' on PATH or /usr/local/go/bin/go) to build actionlint $version" >&2
    exit 2
  fi
  echo "actionlint.sh: building actionlint $version into $bin_dir (first run only)" >&2
  mkdir -p "$bin_dir"
  # GOBIN into a temp dir first, then move: a half-written binary is never mistaken for a cached one.
  tmp_bin="$(mktemp -d "$bin_dir/.build.XXXXXX")"
  trap 'rm -rf "$tmp_bin"' EXIT
  # -mod=readonly: actionlint@version builds from its own go.mod/go.sum, checked, never amended.
  GOBIN="$tmp_bin" GOFLAGS="-mod=readonly" "$go_bin" install "github.com/rhysd/actionlint/cmd/actionlint@$version"
  mv "$tmp_bin/actionlint" "$bin"
fi

cd "$repo_root"
if [[ $# -gt 0 ]]; then
  files=("$@")
else
  shopt -s nullglob
  files=(.github/workflows/*.yml .github/workflows/*.yaml)
  shopt -u nullglob
fi
if [[ ${#files[@]} -eq 0 ]]; then
  echo "actionlint.sh: no workflow files found under .github/workflows" >&2
  exit 2
fi

args=(-no-color)
# The run: blocks are shell scripts too: check them with the same ShellCheck as `npm run lint`
# (Debian's, fetched into the cache by scripts/debian-tools.sh) unless one is on PATH.
shellcheck_bin="$(command -v shellcheck || true)"
if [[ -z "$shellcheck_bin" ]] && sc_dir="$(bash scripts/debian-tools.sh shellcheck:shellcheck)"; then
  shellcheck_bin="$sc_dir/shellcheck"
fi
if [[ -n "$shellcheck_bin" ]]; then
  args+=(-shellcheck="$shellcheck_bin")
else
  echo "actionlint.sh: shellcheck unavailable; run: blocks are checked without it" >&2
  args+=(-shellcheck=)
fi
if ! command -v pyflakes >/dev/null 2>&1; then
  args+=(-pyflakes=)
fi

"$bin" "${args[@]}" "${files[@]}"
echo "actionlint $version: ${#files[@]} workflow file(s) OK"
