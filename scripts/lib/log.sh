# shellcheck shell=bash
# Progress lines and errors as every build script prints them (sourced, never run):
#   [NAME 12:34:56] message        log
#   [NAME] ERROR: message          die (exit 1)
# Set LOG_NAME before sourcing.
: "${LOG_NAME:?set LOG_NAME before sourcing scripts/lib/log.sh}"

log() { printf '[%s %s] %s\n' "$LOG_NAME" "$(date +%H:%M:%S)" "$*"; }
die() { printf '[%s] ERROR: %s\n' "$LOG_NAME" "$*" >&2; exit 1; }

# step LABEL CMD...: run CMD, then print how many seconds it took.
step() {
  local label="$1" t0=$SECONDS; shift
  log "$label ..."
  "$@"
  log "$label: done in $((SECONDS - t0))s"
}
