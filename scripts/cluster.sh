#!/usr/bin/env bash
# Local Kubernetes control plane for team-environments, built offline.
#
#   bash scripts/cluster.sh build    build (or reuse) etcd, kube-apiserver,
#                                    kube-controller-manager, kube-scheduler, and the
#                                    nodes' parts (kwok; or kubelet, kube-proxy, CoreDNS,
#                                    kube-router's NetworkPolicy controller)
#   bash scripts/cluster.sh up       build, then start everything and wait until
#                                    the API is healthy and the nodes are Ready
#   bash scripts/cluster.sh down     stop every process by pid, remove the data dir
#   bash scripts/cluster.sh status   up or not, kubeconfig path, kubectl get nodes
#
# Two kinds of node (CLUSTER_NODE_KIND):
#   real  (the default) a containerd and a kubelet per node, one kube-proxy, CoreDNS and
#         one kube-router NetworkPolicy controller (as k3s embeds it): containers really
#         run from images built offline (scripts/images.sh) and NetworkPolicies are
#         enforced on their packets. Root only; see scripts/cluster/real-node.sh for how
#         it differs from k3s.
#   kwok  the fast mode: KWOK plays the kubelet for fake Nodes and moves Pods through the
#         stages in scripts/cluster/kwok-stages.yaml (Ready at once, Job pods Succeeded).
#         Nothing runs in a container, nothing is routed (NetworkPolicies are only
#         stored); no root needed. For what only the API server decides (RBAC, admission).
# Neither has resource metrics (HPAs cannot scale). See docs/cluster.md.
#
# Binaries come from the Go module proxy through the wrapper modules under
# scripts/cluster/<tool>/ (their go.mod pins the versions) and are cached outside
# the work tree, by version, in $CACHE/cluster-bin/<tool>-<version>/.
#
# Environment (all optional):
#   TEAM_ENV_CACHE          cache root   (default ~/.cache/team-environments; scripts/lib/cache.sh)
#   CLUSTER_ETCD_PORT       etcd clients           (default 12379, http, 127.0.0.1)
#   CLUSTER_ETCD_PEER_PORT  etcd peers             (default 12380)
#   CLUSTER_API_PORT        kube-apiserver         (default 16443, https)
#   CLUSTER_KCM_PORT        kube-controller-manager secure port (default 20257)
#   CLUSTER_SCHEDULER_PORT  kube-scheduler secure port (default 20259)
#   CLUSTER_OIDC_PORT       local OIDC issuer       (default 18443, https; stands in for
#                           GitHub Actions' token.actions.githubusercontent.com)
#   CLUSTER_OIDC_REPOSITORY the repository whose jobs authenticate (default acme/shop)
#   CLUSTER_NODE_KIND       real or kwok           (default real); down and status
#                           use the kind the running cluster was started with
#   CLUSTER_NODES           number of nodes        (default 4 real: staging and production
#                           ask for over 2.6 CPUs each, every real node has this machine's;
#                           3 kwok)
#   CLUSTER_NODE_CPU / CLUSTER_NODE_MEMORY / CLUSTER_NODE_PODS
#                           allocatable per fake node (default 8 / 32Gi / 110; a real
#                           node reports the machine's own)
#   KUBECTL                 kubectl to use         (default kubectl on PATH)
#
# Files (CACHE as above):
#   $CACHE/cluster/kubeconfig            admin  (kubernetes-admin, group system:masters)
#   $CACHE/cluster/developer.kubeconfig  dev1   (group developers)
#   $CACHE/cluster/qa.kubeconfig         qa1    (group qa-engineers)
#   $CACHE/cluster/pki/                  CA, serving and client certs, SA key (kept by down)
#   $CACHE/cluster/pki/oidc-signing.key  the local issuer's signing key (tests mint CI tokens)
#   $CACHE/cluster/oidc/                 the issuer's discovery document and JWKS
#   $CACHE/cluster/internal/authentication-config.yaml
#                                        JWT authenticator: issuer, audience, claim mapping
#   $CACHE/cluster/data/                 etcd data (removed by down)
#   $CACHE/cluster/pids/<name>.pid       one per process
#   $CACHE/cluster/logs/<name>.log       one per process (up moves the last run's to logs/previous/)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WRAPPERS="$SCRIPT_DIR/cluster"

# shellcheck source=scripts/lib/cache.sh
source "$SCRIPT_DIR/lib/cache.sh"
CACHE="$TEAM_ENV_CACHE_ROOT"
BIN_ROOT="$CACHE/cluster-bin"
CLUSTER_DIR="$CACHE/cluster"
PKI="$CLUSTER_DIR/pki"
DATA="$CLUSTER_DIR/data"
PIDS="$CLUSTER_DIR/pids"
LOGS="$CLUSTER_DIR/logs"
INTERNAL="$CLUSTER_DIR/internal"     # kubeconfigs of the components themselves
ADMIN_KUBECONFIG="$CLUSTER_DIR/kubeconfig"
DEV_KUBECONFIG="$CLUSTER_DIR/developer.kubeconfig"
QA_KUBECONFIG="$CLUSTER_DIR/qa.kubeconfig"

ETCD_PORT="${CLUSTER_ETCD_PORT:-12379}"
ETCD_PEER_PORT="${CLUSTER_ETCD_PEER_PORT:-12380}"
API_PORT="${CLUSTER_API_PORT:-16443}"
KCM_PORT="${CLUSTER_KCM_PORT:-20257}"
SCHEDULER_PORT="${CLUSTER_SCHEDULER_PORT:-20259}"
OIDC_PORT="${CLUSTER_OIDC_PORT:-18443}"
NODE_KIND="${CLUSTER_NODE_KIND:-real}"
if [[ "$NODE_KIND" == real ]]; then NODES="${CLUSTER_NODES:-4}"; else NODES="${CLUSTER_NODES:-3}"; fi
NODE_CPU="${CLUSTER_NODE_CPU:-8}"
NODE_MEMORY="${CLUSTER_NODE_MEMORY:-32Gi}"
NODE_PODS="${CLUSTER_NODE_PODS:-110}"
KUBECTL="${KUBECTL:-kubectl}"

HOST=127.0.0.1
API_URL="https://$HOST:$API_PORT"
SERVICE_CIDR=10.96.0.0/16      # ClusterIPs: stored in Services, never routed
SERVICE_IP=10.96.0.1           # the `kubernetes` Service (in the serving cert)
POD_CIDR=10.244.0.0/16         # pod IPs: written by kwok, or given by CNI on a real node
HOSTPATH_PV_DIR=/tmp/hostpath_pv  # fixed by the in-tree host-path provisioner
API_NODE_IP=10.244.0.1         # real nodes: the first node's IP, where pods reach the apiserver

NODE_KIND_FILE="$CLUSTER_DIR/node-kind"   # "<kind> <nodes>" of the running cluster
# A running cluster is stopped and described as it was started, whatever the environment says now.
if [[ "${1:-}" == down || "${1:-}" == status ]] && [[ -s "$NODE_KIND_FILE" ]]; then
  read -r NODE_KIND NODES <"$NODE_KIND_FILE"
fi
case "$NODE_KIND" in
  kwok | real) ;;
  *) printf '[cluster] ERROR: CLUSTER_NODE_KIND=%s: expected kwok or real\n' "$NODE_KIND" >&2; exit 2 ;;
esac
[[ "$NODES" =~ ^[1-9][0-9]?$ ]] || { printf '[cluster] ERROR: CLUSTER_NODES=%s: expected a number from 1 to 99\n' "$NODES" >&2; exit 2; }

# Start order; `down` stops them in reverse.
COMPONENTS=(etcd oidc-issuer kube-apiserver kube-controller-manager kube-scheduler)
if [[ "$NODE_KIND" == kwok ]]; then
  COMPONENTS+=(kwok)
else
  for ((i = 0; i < NODES; i++)); do COMPONENTS+=("containerd-$i" "kubelet-$i"); done
  COMPONENTS+=(kube-proxy kube-router-netpol volume-permissions)
fi
OIDC_DIR="$CLUSTER_DIR/oidc"
OIDC_URL="https://$HOST:$OIDC_PORT"
# The audience CI jobs request, and the user a job's token maps to. The program binds
# `github:<owner>/<repo>:<environment>` (rbac/rules.ts: ciOidcUser); only a job that ran in a GitHub
# environment carries the `environment` claim, so a branch's job maps to no user at all.
OIDC_AUDIENCE=team-environments
# The one repository whose jobs may authenticate at all (GitHub's issuer serves every repository).
OIDC_REPOSITORY="${CLUSTER_OIDC_REPOSITORY:-acme/shop}"
OIDC_USERNAME_EXPRESSION="'github:' + claims.repository + ':' + claims.environment"

# ---------------------------------------------------------------- helpers ----
LOG_NAME=cluster
# shellcheck source=scripts/lib/log.sh
source "$SCRIPT_DIR/lib/log.sh"

# Version a wrapper module pins for MODULE: the `require MODULE vX` line.
pinned_version() {
  local dir="$1" module="$2" v
  v="$(awk -v m="$module" '($1 == "require" && $2 == m) {print $3} ($1 == m && $2 ~ /^v/) {print $2}' "$WRAPPERS/$dir/go.mod" | head -n1)"
  [[ -n "$v" ]] || die "no version of $module in $WRAPPERS/$dir/go.mod"
  printf '%s' "$v"
}

K8S_VERSION="$(pinned_version kubernetes k8s.io/kubernetes)"
ETCD_VERSION="$(pinned_version etcd go.etcd.io/etcd/server/v3)"
KWOK_VERSION="$(pinned_version kwok sigs.k8s.io/kwok)"
COREDNS_VERSION="$(pinned_version coredns github.com/coredns/coredns)"
NETPOL_VERSION="$(pinned_version netpol github.com/cloudnativelabs/kube-router/v2)"
K8S_BIN="$BIN_ROOT/kubernetes-$K8S_VERSION"
# kubelet and kube-proxy: built only for real nodes, so a kwok cluster does not pay for them.
K8S_NODE_BIN="$BIN_ROOT/kubernetes-node-$K8S_VERSION"
COREDNS_BIN="$BIN_ROOT/coredns-$COREDNS_VERSION"
NETPOL_BIN="$BIN_ROOT/kube-router-netpol-$NETPOL_VERSION"
ETCD_BIN="$BIN_ROOT/etcd-$ETCD_VERSION"
KWOK_BIN="$BIN_ROOT/kwok-$KWOK_VERSION"

bin_of() {
  case "$1" in
    etcd) echo "$ETCD_BIN/etcd" ;;
    kwok) echo "$KWOK_BIN/kwok" ;;
    oidc-issuer) command -v openssl ;;
    containerd-*) command -v containerd ;;
    kubelet-*) echo "$K8S_NODE_BIN/kubelet" ;;
    kube-proxy) echo "$K8S_NODE_BIN/kube-proxy" ;;
    kube-router-netpol) echo "$NETPOL_BIN/kube-router-netpol" ;;
    volume-permissions) command -v bash ;;
    *) echo "$K8S_BIN/$1" ;;
  esac
}

pid_file() { echo "$PIDS/$1.pid"; }

# The pid `start` recorded for NAME, if it is a running process (of whatever executable).
recorded_pid() {
  local f pid
  f="$(pid_file "$1")"
  [[ -s "$f" ]] || return 0
  pid="$(<"$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
  return 0
}

# The pid recorded for NAME if that process is alive and still runs our binary
# (guards against a recycled pid); empty otherwise.
live_pid() {
  local name="$1" pid exe
  pid="$(recorded_pid "$name")"
  [[ -n "$pid" ]] || return 0
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  exe="${exe% (deleted)}"
  [[ "$exe" == "$(readlink -f "$(bin_of "$name")")" ]] || return 0
  echo "$pid"
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# Whether the process started as NAME is gone. Not live_pid: just after `start` the pid is still
# setsid's on its way to exec the binary, which live_pid's executable check does not accept.
process_gone() { [[ -z "$(recorded_pid "$1")" ]]; }

# wait_for SECONDS WHAT "NAME..." CMD...: retry CMD every half second until it succeeds; give up
# (with the named processes' logs) after SECONDS, or at once, with its log, when one of the named
# processes (space-separated; may be none) has exited.
wait_for() {
  local timeout="$1" what="$2" names="$3" deadline name; shift 3
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    for name in $names; do
      if process_gone "$name"; then
        show_log "$name"; die "$name exited while waiting for $what (log: $LOGS/$name.log)"
      fi
    done
    if ((SECONDS >= deadline)); then
      for name in $names; do show_log "$name"; done
      die "timed out after ${timeout}s waiting for $what"
    fi
    sleep 0.5
  done
}

show_log() { echo "---- last lines of $LOGS/$1.log ----" >&2; tail -n 25 "$LOGS/$1.log" >&2 || true; }

kc() { "$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

# ------------------------------------------------------------------ build ----
# go_build DIR OUTDIR LDFLAGS RENAME PKG...: build main packages of the wrapper
# module in DIR into OUTDIR, atomically (a half-built directory is never left
# behind). RENAME is "from=to" for a binary to rename, or "-".
go_build() {
  local dir="$1" out="$2" ldflags="$3" rename="$4" tmp; shift 4
  command -v go >/dev/null || die "go is not on PATH (needed to build $(basename "$out"))"
  mkdir -p "$BIN_ROOT"
  tmp="$(mktemp -d "$BIN_ROOT/.build.XXXXXX")"
  # -mod=readonly: the committed go.mod/go.sum are the whole dependency set.
  if ! (cd "$WRAPPERS/$dir" &&
        CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
        go build -trimpath -ldflags "$ldflags" -o "$tmp/" "$@"); then
    rm -rf "$tmp"; die "go build in scripts/cluster/$dir failed"
  fi
  [[ "$rename" == - ]] || mv "$tmp/${rename%%=*}" "$tmp/${rename#*=}"
  rm -rf "$out"
  mv "$tmp" "$out"
  touch "$out/.complete"
}

# Without these, every binary and /version report v0.0.0-master.
k8s_ldflags() {
  local minor ld p
  minor="$(cut -d. -f2 <<<"$K8S_VERSION")"
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  printf '%s' "$ld"
}
build_kubernetes() {
  go_build kubernetes "$K8S_BIN" "$(k8s_ldflags)" - \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler
}
build_kubernetes_node() {
  go_build kubernetes "$K8S_NODE_BIN" "$(k8s_ldflags)" - k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy
}
# The wrapper's main package names the binary after its module path's last element.
build_coredns() { go_build coredns "$COREDNS_BIN" "-s -w" - . ; }
build_netpol() { go_build netpol "$NETPOL_BIN" "-s -w" netpol=kube-router-netpol . ; }
# go names the binary of module go.etcd.io/etcd/server/v3 "server".
build_etcd() { go_build etcd "$ETCD_BIN" "-s -w" server=etcd go.etcd.io/etcd/server/v3; }
build_kwok() { go_build kwok "$KWOK_BIN" "-s -w" - sigs.k8s.io/kwok/cmd/kwok; }

# build_once BIN WHAT ESTIMATE FN: FN builds WHAT into BIN unless BIN holds a finished build.
build_once() {
  local bin="$1" what="$2" estimate="$3" fn="$4"
  if [[ -f "$bin/.complete" ]]; then log "$what: cached in $bin"
  else step "building $what ($estimate)" "$fn"; fi
}

cmd_build() {
  local t0=$SECONDS
  [[ "$NODE_KIND" != real ]] || need_root_for_real_nodes
  build_once "$K8S_BIN" "kube-apiserver, kube-controller-manager, kube-scheduler $K8S_VERSION" "3.5-10 min cold on 2 cores" build_kubernetes
  build_once "$ETCD_BIN" "etcd $ETCD_VERSION" "~1 min" build_etcd
  if [[ "$NODE_KIND" == kwok ]]; then
    build_once "$KWOK_BIN" "kwok $KWOK_VERSION" "~2 min" build_kwok
  else
    install_real_packages
    build_once "$K8S_NODE_BIN" "kubelet, kube-proxy $K8S_VERSION" "20 s-2 min after the control plane build, ~7 min alone" build_kubernetes_node
    build_once "$COREDNS_BIN" "coredns $COREDNS_VERSION" "1-2 min cold" build_coredns
    build_once "$NETPOL_BIN" "kube-router's network policy controller $NETPOL_VERSION" "~1 min cold" build_netpol
    step "node images (pause, coredns, the application, postgres)" build_images
  fi
  log "build: done in $((SECONDS - t0))s"
}

# shellcheck source=scripts/lib/debian.sh
source "$SCRIPT_DIR/lib/debian.sh"
# shellcheck source=scripts/cluster/real-node.sh
source "$WRAPPERS/real-node.sh"

# ------------------------------------------------------------------- pki -----
# cert NAME SUBJECT EXTENSIONS: key + certificate signed by the local CA.
cert() {
  local name="$1" subj="$2" ext="$3"
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -CAcreateserial -days 3650 -sha256 -out "$PKI/$name.crt" \
    -extfile <(printf '%s\n' "$ext") 2>/dev/null
  rm -f "$PKI/$name.csr"
}
client_cert() {
  cert "$1" "$2" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
}

# kubeconfig FILE USER CERTNAME: a kubeconfig that logs in with a client cert.
kubeconfig() {
  local file="$1" user="$2" certname="$3"
  rm -f "$file"
  "$KUBECTL" config --kubeconfig "$file" set-cluster team-environments-local \
    --server "$API_URL" --certificate-authority "$PKI/ca.crt" --embed-certs >/dev/null
  "$KUBECTL" config --kubeconfig "$file" set-credentials "$user" \
    --client-certificate "$PKI/$certname.crt" --client-key "$PKI/$certname.key" --embed-certs >/dev/null
  "$KUBECTL" config --kubeconfig "$file" set-context "$user@team-environments-local" \
    --cluster team-environments-local --user "$user" >/dev/null
  "$KUBECTL" config --kubeconfig "$file" use-context "$user@team-environments-local" >/dev/null
  chmod 600 "$file"
}

# Certificates are made once and kept across down/up (so kubeconfigs stay
# valid); delete $CACHE/cluster/pki to start over.
make_pki() {
  mkdir -p "$PKI" "$INTERNAL"
  chmod 700 "$PKI"
  if [[ ! -s "$PKI/ca.crt" ]]; then
    # A new CA invalidates every certificate signed by an old one.
    rm -f "$PKI"/*.crt "$PKI"/*.key "$PKI"/*.pub "$PKI"/*.srl
    openssl req -x509 -new -nodes -newkey rsa:2048 -keyout "$PKI/ca.key" -out "$PKI/ca.crt" \
      -days 3650 -sha256 -subj "/CN=team-environments-local-ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
  fi
  # Serving cert of the apiserver: loopback, the first real node's IP (pods reach the API there)
  # and the in-cluster names. A cert from before real nodes lacks that IP: make it again.
  if [[ -s "$PKI/apiserver.crt" ]] && ! openssl x509 -in "$PKI/apiserver.crt" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$API_NODE_IP\b"; then
    rm -f "$PKI/apiserver.crt"
  fi
  [[ -s "$PKI/apiserver.crt" ]] || cert apiserver "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:$HOST,DNS:localhost,IP:$API_NODE_IP,IP:$SERVICE_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  # Front-proxy (request-header) CA and client: the apiserver publishes this CA
  # in kube-system/extension-apiserver-authentication; without it the
  # controller-manager and scheduler log "missing content for CA bundle" forever.
  if [[ ! -s "$PKI/front-proxy-ca.crt" ]]; then
    openssl req -x509 -new -nodes -newkey rsa:2048 -keyout "$PKI/front-proxy-ca.key" \
      -out "$PKI/front-proxy-ca.crt" -days 3650 -sha256 -subj "/CN=team-environments-front-proxy-ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    rm -f "$PKI/front-proxy-client.crt"
  fi
  if [[ ! -s "$PKI/front-proxy-client.crt" ]]; then
    openssl genrsa -out "$PKI/front-proxy-client.key" 2048 2>/dev/null
    openssl req -new -key "$PKI/front-proxy-client.key" -subj "/CN=front-proxy-client" 2>/dev/null |
      openssl x509 -req -CA "$PKI/front-proxy-ca.crt" -CAkey "$PKI/front-proxy-ca.key" \
        -CAcreateserial -days 3650 -sha256 -out "$PKI/front-proxy-client.crt" \
        -extfile <(printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=clientAuth") 2>/dev/null
  fi
  # Service-account token signing key pair.
  if [[ ! -s "$PKI/sa.key" ]]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  # The local OIDC issuer: serving cert (loopback) and token signing key.
  [[ -s "$PKI/oidc-issuer.crt" ]] || cert oidc-issuer "/CN=team-environments-oidc-issuer" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:$HOST,DNS:localhost"
  [[ -s "$PKI/oidc-signing.key" ]] || openssl genrsa -out "$PKI/oidc-signing.key" 2048 2>/dev/null
  [[ -s "$PKI/admin.crt" ]] || client_cert admin "/O=system:masters/CN=kubernetes-admin"
  [[ -s "$PKI/controller-manager.crt" ]] || client_cert controller-manager "/CN=system:kube-controller-manager"
  [[ -s "$PKI/scheduler.crt" ]] || client_cert scheduler "/CN=system:kube-scheduler"
  # kwok patches status of every Node and Pod it fakes: admin rights.
  [[ -s "$PKI/kwok.crt" ]] || client_cert kwok "/O=system:masters/CN=kwok-controller"
  [[ -s "$PKI/dev1.crt" ]] || client_cert dev1 "/O=developers/CN=dev1"
  [[ -s "$PKI/qa1.crt" ]] || client_cert qa1 "/O=qa-engineers/CN=qa1"

  kubeconfig "$ADMIN_KUBECONFIG" kubernetes-admin admin
  kubeconfig "$DEV_KUBECONFIG" dev1 dev1
  kubeconfig "$QA_KUBECONFIG" qa1 qa1
  kubeconfig "$INTERNAL/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
  kubeconfig "$INTERNAL/scheduler.kubeconfig" system:kube-scheduler scheduler
  kubeconfig "$INTERNAL/kwok.kubeconfig" kwok-controller kwok
  [[ "$NODE_KIND" != real ]] || make_real_pki
}

# ----------------------------------------------------------------- start -----
# start NAME ARGS...: run NAME's binary in the background, in its own session
# (so it outlives this shell and a Ctrl-C of `npm run`), log + pid to files.
start() {
  local name="$1" bin pid; shift
  bin="$(bin_of "$name")"
  [[ -x "$bin" ]] || die "$bin is missing: run 'bash scripts/cluster.sh build'"
  : >"$LOGS/$name.log"
  setsid "$bin" "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$(pid_file "$name")"
  log "$name started (pid $pid, log $LOGS/$name.log)"
}

curl_admin() {
  curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$@"
}

start_etcd() {
  mkdir -p "$DATA/etcd"
  chmod 700 "$DATA/etcd"
  start etcd \
    --name local \
    --data-dir "$DATA/etcd" \
    --listen-client-urls "http://$HOST:$ETCD_PORT" \
    --advertise-client-urls "http://$HOST:$ETCD_PORT" \
    --listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster "local=http://$HOST:$ETCD_PEER_PORT" \
    --unsafe-no-fsync \
    --log-level warn
  wait_for 60 "etcd health" etcd curl -fsS --max-time 2 "http://$HOST:$ETCD_PORT/health"
}

# The local OIDC issuer: a discovery document and a JWKS served over HTTPS (openssl s_server
# -WWW serves the files of its working directory), and the apiserver's JWT authenticator for it.
start_oidc_issuer() {
  rm -rf "$OIDC_DIR"
  mkdir -p "$OIDC_DIR/.well-known"
  printf '{"issuer":"%s","jwks_uri":"%s/jwks.json","response_types_supported":["id_token"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}\n' \
    "$OIDC_URL" "$OIDC_URL" >"$OIDC_DIR/.well-known/openid-configuration"
  node -e '
    const crypto = require("crypto"), fs = require("fs");
    const jwk = crypto.createPublicKey(fs.readFileSync(process.argv[1])).export({ format: "jwk" });
    const kid = crypto.createHash("sha256").update(jwk.n).digest("hex").slice(0, 16);
    fs.writeFileSync(process.argv[2], JSON.stringify({ keys: [{ ...jwk, kid, use: "sig", alg: "RS256" }] }));
  ' "$PKI/oidc-signing.key" "$OIDC_DIR/jwks.json"
  cat >"$INTERNAL/authentication-config.yaml" <<YAML
apiVersion: apiserver.config.k8s.io/v1beta1
kind: AuthenticationConfiguration
jwt:
  - issuer:
      url: $OIDC_URL
      audiences: [$OIDC_AUDIENCE]
      certificateAuthority: |
$(sed 's/^/        /' "$PKI/ca.crt")
    claimValidationRules:
      - expression: "has(claims.repository) && claims.repository == '$OIDC_REPOSITORY'"
        message: "only jobs of $OIDC_REPOSITORY authenticate"
      - expression: "has(claims.environment) && claims.environment != ''"
        message: "only a job that runs in a GitHub environment gets a Kubernetes identity"
    claimMappings:
      username:
        expression: "$OIDC_USERNAME_EXPRESSION"
YAML
  (cd "$OIDC_DIR" && start oidc-issuer s_server -WWW -quiet -accept "$HOST:$OIDC_PORT" \
    -cert "$PKI/oidc-issuer.crt" -key "$PKI/oidc-issuer.key")
  wait_for 30 "OIDC issuer discovery" oidc-issuer curl -fsS --max-time 2 --cacert "$PKI/ca.crt" "$OIDC_URL/.well-known/openid-configuration"
}

start_apiserver() {
  # kwok: --endpoint-reconciler-type=none: the `kubernetes` Service would otherwise
  # get a 127.0.0.1 endpoint, which Endpoints validation rejects (loopback) and
  # which nothing in this cluster could use anyway.
  # real: pods reach the API through the `kubernetes` Service at the first node's
  # IP, so the apiserver listens beyond loopback (as k3s's does) and advertises it.
  # --kubelet-preferred-address-types=InternalIP: `kubectl logs/exec` go to the
  # node's InternalIP:10250 (a fake node's is 127.0.0.1: connection refused).
  local -a node_flags=(--bind-address "$HOST" --advertise-address "$HOST" --endpoint-reconciler-type none)
  if [[ "$NODE_KIND" == real ]]; then
    node_flags=(--bind-address 0.0.0.0 --advertise-address "$API_NODE_IP"
      --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt"
      --kubelet-client-key "$PKI/apiserver-kubelet-client.key")
  fi
  start kube-apiserver \
    --etcd-servers "http://$HOST:$ETCD_PORT" \
    "${node_flags[@]}" \
    --secure-port "$API_PORT" \
    --tls-cert-file "$PKI/apiserver.crt" \
    --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --requestheader-client-ca-file "$PKI/front-proxy-ca.crt" \
    --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User \
    --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$PKI/front-proxy-client.crt" \
    --proxy-client-key-file "$PKI/front-proxy-client.key" \
    --authorization-mode Node,RBAC \
    --authentication-config "$INTERNAL/authentication-config.yaml" \
    --enable-admission-plugins NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,ResourceQuota,NodeRestriction \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" \
    --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --kubelet-preferred-address-types InternalIP \
    --allow-privileged=true \
    --profiling=false \
    --v 1
  wait_for 120 "kube-apiserver /readyz" kube-apiserver curl_admin "$API_URL/readyz"
}

start_controller_manager() {
  mkdir -p "$PKI/controller-manager-serving"
  start kube-controller-manager \
    --kubeconfig "$INTERNAL/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$INTERNAL/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$INTERNAL/controller-manager.kubeconfig" \
    --bind-address "$HOST" \
    --secure-port "$KCM_PORT" \
    --cert-dir "$PKI/controller-manager-serving" \
    --service-account-private-key-file "$PKI/sa.key" \
    --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" \
    --cluster-signing-key-file "$PKI/ca.key" \
    --use-service-account-credentials=true \
    --enable-hostpath-provisioner=true \
    --leader-elect=false \
    --profiling=false \
    --v 1
  wait_for 60 "kube-controller-manager /healthz" kube-controller-manager \
    curl -fsS -k --max-time 2 "https://$HOST:$KCM_PORT/healthz"
}

# A pod found unschedulable waits for a cluster event to be retried, else for
# this flush. A StatefulSet's pod created before the host-path provisioner bound
# its claim sometimes missed the claim's event and sat Pending for the default
# 5 min (qa's postgres-0: created 02:03:02, on its node 02:08:06): retried after
# 10 s instead. Deprecated flag, still in 1.33 (no config field replaces it).
start_scheduler() {
  mkdir -p "$PKI/scheduler-serving"
  start kube-scheduler \
    --kubeconfig "$INTERNAL/scheduler.kubeconfig" \
    --authentication-kubeconfig "$INTERNAL/scheduler.kubeconfig" \
    --authorization-kubeconfig "$INTERNAL/scheduler.kubeconfig" \
    --bind-address "$HOST" \
    --secure-port "$SCHEDULER_PORT" \
    --cert-dir "$PKI/scheduler-serving" \
    --leader-elect=false \
    --profiling=false \
    --pod-max-in-unschedulable-pods-duration 10s \
    --v 1
  wait_for 60 "kube-scheduler /healthz" kube-scheduler \
    curl -fsS -k --max-time 2 "https://$HOST:$SCHEDULER_PORT/healthz"
}

# Fake Nodes: kwok manages the ones annotated kwok.x-k8s.io/node=fake. Their
# status (allocatable/capacity) is kept by kwok's node-initialize stage.
node_manifests() {
  local i zones=(zone-a zone-b zone-c)
  for ((i = 0; i < NODES; i++)); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: kwok-node-$i
    topology.kubernetes.io/region: local
    topology.kubernetes.io/zone: ${zones[i % 3]}
status:
  allocatable: {cpu: "$NODE_CPU", memory: "$NODE_MEMORY", pods: "$NODE_PODS", ephemeral-storage: 100Gi}
  capacity: {cpu: "$NODE_CPU", memory: "$NODE_MEMORY", pods: "$NODE_PODS", ephemeral-storage: 100Gi}
EOF
  done
}

all_nodes_ready() {
  local ready
  ready="$(kc get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$' || true)"
  [[ "$ready" -ge "$NODES" ]]
}

start_kwok() {
  kc apply -f <(node_manifests) >/dev/null
  # Node IP 127.0.0.1: `kubectl logs/exec` then fail with "connection refused"
  # on loopback instead of reaching for some made-up address.
  start kwok \
    --kubeconfig "$INTERNAL/kwok.kubeconfig" \
    --config "$WRAPPERS/kwok-stages.yaml" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-ip "$HOST" \
    --cidr "$POD_CIDR" \
    --node-lease-duration-seconds 40
  wait_for 120 "$NODES Ready nodes" kwok all_nodes_ready
}

crds_established() {
  kc wait --for condition=Established --timeout 5s \
    crd/prometheusrules.monitoring.coreos.com crd/ingressroutes.traefik.io crd/middlewares.traefik.io
}

install_addons() {
  kc apply -f "$WRAPPERS/crds/" >/dev/null
  kc apply -f "$WRAPPERS/storage.yaml" >/dev/null
  wait_for 60 "CRDs Established" "" crds_established
  # Pods can only be created once the namespace's `default` ServiceAccount exists.
  wait_for 60 "ServiceAccount default/default" kube-controller-manager kc get serviceaccount default -n default
}

# ------------------------------------------------------------- commands ------
running_components() {
  local n
  for n in "${COMPONENTS[@]}"; do [[ -z "$(live_pid "$n")" ]] || echo "$n"; done
}

check_ports() {
  local spec name port
  for spec in "etcd:$ETCD_PORT:CLUSTER_ETCD_PORT" "etcd-peer:$ETCD_PEER_PORT:CLUSTER_ETCD_PEER_PORT" \
              "kube-apiserver:$API_PORT:CLUSTER_API_PORT" "kube-controller-manager:$KCM_PORT:CLUSTER_KCM_PORT" \
              "kube-scheduler:$SCHEDULER_PORT:CLUSTER_SCHEDULER_PORT" "oidc-issuer:$OIDC_PORT:CLUSTER_OIDC_PORT"; do
    IFS=: read -r name port var <<<"$spec"
    if port_in_use "$port"; then
      die "port $HOST:$port (for $name) is already taken by another process; free it or set $var to another port"
    fi
  done
}

UP_STARTED=0
on_up_exit() {
  local rc=$?
  if ((rc != 0 && UP_STARTED)); then
    log "up failed (exit $rc): stopping what was started; logs are kept in $LOGS"
    stop_all || true
    rm -rf "$DATA" "$HOSTPATH_PV_DIR" "$NODE_KIND_FILE"
  fi
}

cmd_up() {
  local t0=$SECONDS running
  command -v "$KUBECTL" >/dev/null || die "kubectl not found (set KUBECTL)"
  command -v openssl >/dev/null || die "openssl not found"
  command -v curl >/dev/null || die "curl not found"
  command -v node >/dev/null || die "node not found (writes the local OIDC issuer's JWKS)"
  cmd_build
  mapfile -t running < <(running_components)
  if ((${#running[@]} == ${#COMPONENTS[@]})); then
    log "already up ($API_URL); kubeconfig: $ADMIN_KUBECONFIG"
    return 0
  elif ((${#running[@]} > 0)); then
    die "partly running (${running[*]} alive): run 'bash scripts/cluster.sh down' first"
  fi
  check_ports
  [[ "$NODE_KIND" != real ]] || check_real_host
  # Every up starts from an empty etcd: cluster state lives only while it is up
  # (a leftover data dir means an earlier run crashed or was killed).
  rm -rf "$DATA" "$HOSTPATH_PV_DIR"
  mkdir -p "$PIDS" "$LOGS" "$DATA"
  # The last run's logs stay readable (a failed up is often followed by another).
  rm -rf "$LOGS/previous" && mkdir -p "$LOGS/previous"
  find "$LOGS" -maxdepth 1 -name '*.log' -exec mv -t "$LOGS/previous" {} +
  rm -f "$PIDS"/*.pid
  step "certificates and kubeconfigs" make_pki
  echo "$NODE_KIND $NODES" >"$NODE_KIND_FILE"
  UP_STARTED=1
  trap on_up_exit EXIT
  step "etcd $ETCD_VERSION on $HOST:$ETCD_PORT" start_etcd
  step "local OIDC issuer on $HOST:$OIDC_PORT (GitHub Actions stand-in)" start_oidc_issuer
  step "kube-apiserver $K8S_VERSION on $HOST:$API_PORT" start_apiserver
  step "kube-controller-manager on $HOST:$KCM_PORT" start_controller_manager
  step "kube-scheduler on $HOST:$SCHEDULER_PORT" start_scheduler
  if [[ "$NODE_KIND" == kwok ]]; then
    step "kwok $KWOK_VERSION and $NODES fake nodes" start_kwok
  else
    step "$NODES real nodes (containerd, kubelet), kube-proxy and the NetworkPolicy controller" start_real_nodes
  fi
  step "CRDs (PrometheusRule, IngressRoute, Middleware) and default StorageClass" install_addons
  [[ "$NODE_KIND" != real ]] || step "CoreDNS $COREDNS_VERSION as kube-system/kube-dns ($DNS_IP)" install_coredns
  trap - EXIT
  log "up in $((SECONDS - t0))s: $API_URL"
  log "admin kubeconfig:     $ADMIN_KUBECONFIG"
  log "developer kubeconfig: $DEV_KUBECONFIG (dev1, group developers)"
  log "qa kubeconfig:        $QA_KUBECONFIG (qa1, group qa-engineers)"
  kc get nodes
}

# stop NAME...: TERM them all, wait up to 15s, then KILL what is left.
stop() {
  local name pid i left
  local -a pids=() names=()
  for name in "$@"; do
    pid="$(live_pid "$name")"
    if [[ -n "$pid" ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid"); names+=("$name")
    fi
  done
  for ((i = 0; i < 60; i++)); do
    left=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
    ((left)) || break
    sleep 0.25
  done
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[i]}" 2>/dev/null; then
      log "${names[i]} (pid ${pids[i]}) ignored TERM: sending KILL"
      kill -KILL "${pids[i]}" 2>/dev/null || true
    fi
  done
  for i in "${!pids[@]}"; do
    while kill -0 "${pids[i]}" 2>/dev/null; do sleep 0.1; done
    log "${names[i]} stopped (pid ${pids[i]})"
  done
  for name in "$@"; do rm -f "$(pid_file "$name")"; done
}

# Clients of the apiserver first (together), then the apiserver, then etcd. Real nodes are
# drained with the controllers stopped and the apiserver still up (real-node.sh).
stop_all() {
  if [[ "$NODE_KIND" == kwok ]]; then
    stop kwok kube-scheduler kube-controller-manager
  else
    stop kube-scheduler kube-controller-manager
    stop_real_nodes
  fi
  stop kube-apiserver
  stop oidc-issuer
  stop etcd
}

cmd_down() {
  local t0=$SECONDS
  if [[ -z "$(running_components)" ]]; then log "not running"; fi
  stop_all
  rm -rf "$DATA" "$NODE_KIND_FILE"
  # Directories the host-path provisioner made for PersistentVolumes.
  rm -rf "$HOSTPATH_PV_DIR"
  log "down in $((SECONDS - t0))s (data removed; certs, kubeconfigs and logs kept in $CLUSTER_DIR)"
}

# Exit status: 0 up, 3 down, 1 partly running.
cmd_status() {
  local running
  mapfile -t running < <(running_components)
  if ((${#running[@]} == 0)); then
    echo "cluster: down"
    return 3
  fi
  if ((${#running[@]} < ${#COMPONENTS[@]})); then
    echo "cluster: partly running (${running[*]}); run 'bash scripts/cluster.sh down'"
    return 1
  fi
  if [[ "$NODE_KIND" == kwok ]]; then
    echo "cluster: up ($API_URL, kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)"
  else
    echo "cluster: up ($API_URL, kubernetes $K8S_VERSION, etcd $ETCD_VERSION, $NODES real nodes, coredns $COREDNS_VERSION)"
  fi
  echo "kubeconfig: $ADMIN_KUBECONFIG   (also developer.kubeconfig, qa.kubeconfig beside it)"
  for n in "${COMPONENTS[@]}"; do echo "  $n pid $(live_pid "$n")"; done
  kc get nodes
}

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }

case "${1:-}" in
  build) cmd_build ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
