# shellcheck shell=bash
# The one definition of the cache root every script shares (sourced, never run).
# scripts/local/env.ts (cacheDir) computes the same path for the TypeScript side;
# tests/local-env.spec.ts checks that the two agree.
#
#   TEAM_ENV_CACHE   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/team-environments)
# shellcheck disable=SC2034  # read by the scripts that source this file
TEAM_ENV_CACHE_ROOT="${TEAM_ENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/team-environments}"
