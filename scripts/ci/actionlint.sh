#!/usr/bin/env bash
# Lints .github/workflows/*.yml with a pinned actionlint, built from source with the Go toolchain
# (no prebuilt binary download) into a cache outside the work tree and reused on later runs.
# ShellCheck and pyflakes integration is used only when the binaries are on PATH.
#
# Usage: scripts/ci/actionlint.sh [workflow files...]   (default: .github/workflows/*.yml)
# Env:   TEAM_ENV_CACHE  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/team-environments)
#        ACTIONLINT_VERSION  override the pinned version (default below)
set -euo pipefail

version="${ACTIONLINT_VERSION:-v1.7.12}"
cache_root="${TEAM_ENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/team-environments}"
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
if command -v shellcheck >/dev/null 2>&1; then
  args+=(-shellcheck="$(command -v shellcheck)")
else
  echo "actionlint.sh: shellcheck not found; run: blocks are checked without it" >&2
  args+=(-shellcheck=)
fi
if ! command -v pyflakes >/dev/null 2>&1; then
  args+=(-pyflakes=)
fi

"$bin" "${args[@]}" "${files[@]}"
echo "actionlint $version: ${#files[@]} workflow file(s) OK"
