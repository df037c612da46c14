#!/usr/bin/env bash
# ShellCheck over every shell script of the repository (Debian's shellcheck, fetched into the
# cache by scripts/debian-tools.sh on first use). Part of `npm run lint`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(bash scripts/debian-tools.sh shellcheck:shellcheck)/shellcheck"
mapfile -t files < <(git ls-files '*.sh' .ci/run 2>/dev/null || find scripts -name '*.sh')
"$bin" -x "${files[@]}"
echo "shellcheck: ${#files[@]} scripts clean"
