# shellcheck shell=bash
# Real nodes for scripts/cluster.sh (sourced by it; not run on its own).
#
# CLUSTER_NODE_KIND=real gives the control plane what k3s gives it on one machine: per node a
# containerd (Debian's, with runc and the CNI plugins) and a kubelet, plus one kube-proxy
# (iptables), CoreDNS as kube-system/kube-dns and kube-router's NetworkPolicy controller (the one
# k3s embeds; scripts/cluster/netpol). Containers really run, probes really probe, and a connection
# a NetworkPolicy denies is really refused.
#
# How it differs from a k3s node (docs/cluster.md):
# - All nodes live on this one machine. Each has its own containerd (a kubelet kills every pod of
#   its runtime that it does not know), its own bridge and pod subnet (node i: bridge tenode<i>,
#   10.244.<i>.0/24, node IP 10.244.<i>.1 on the bridge), its own cgroup root (/te-node-<i>).
#   They share the host's network namespace, so one kube-proxy programs Services for all of
#   them and pods on different nodes are routed by the host between bridges (no overlay).
# - Several nodes exist only to hold the requests of five environments: a kubelet reports the
#   machine's real CPUs, and staging plus production alone request more than 2 cores.
# - Images are not pulled: scripts/images.sh builds them offline and each node's containerd
#   imports them (team-environments.local/...).
# - One NetworkPolicy controller guards every node's pods (kube-router guards the pods of its own
#   node, and two controllers in one network namespace would remove each other's chains): see
#   scripts/cluster/netpol/main.go.
#
# Needs root, Linux with overlayfs, cgroups, bridges and iptables, and Debian's containerd, runc,
# containernetworking-plugins, iptables, ipset and conntrack (installed by cmd_build when missing).

REAL_PACKAGES=(containerd runc containernetworking-plugins iptables ipset conntrack iproute2 kmod)
CNI_BIN=/usr/lib/cni
NODE_DIR="$CLUSTER_DIR/nodes"        # per node: containerd root, kubelet root, CNI config and IPAM
RUN_DIR="$CLUSTER_DIR/run"           # per node: containerd state and socket (short paths)
DNS_IP=10.96.0.10
NETPOL_USER=system:kube-router-netpol  # the NetworkPolicy controller's identity (client cert)
CLUSTER_DOMAIN=cluster.local
# Where every kubelet serves device-plugin registration, whatever its --root-dir (kubelet's pluginapi.KubeletSocket).
DEVICE_PLUGIN_SOCKET=/var/lib/kubelet/device-plugins/kubelet.sock

node_name() { echo "node-$1"; }
node_ip() { echo "10.244.$1.1"; }
node_subnet() { echo "10.244.$1.0/24"; }
node_bridge() { echo "tenode$1"; }
node_socket() { echo "$RUN_DIR/node-$1/containerd.sock"; }
node_ctr() { local i="$1"; shift; ctr --address "$(node_socket "$i")" -n k8s.io "$@"; }

# --------------------------------------------------------------- checks ----
# The Debian packages a real node runs on, installed once (root only).
install_real_packages() { debian_install "${REAL_PACKAGES[@]}"; }

# Real nodes are the default: a user who is not root learns at once what to do instead.
need_root_for_real_nodes() {
  [[ $(id -u) -eq 0 ]] ||
    die "real nodes (CLUSTER_NODE_KIND=real, the default) need root: containers, bridges, iptables; run as root, or set CLUSTER_NODE_KIND=kwok for fake nodes (no container runs, NetworkPolicies are not enforced)"
}

# What the kernel and the machine must offer; each missing piece is named.
check_real_host() {
  local b
  need_root_for_real_nodes
  for b in containerd containerd-shim-runc-v2 runc ctr iptables iptables-save iptables-restore ipset conntrack ip; do
    command -v "$b" >/dev/null || die "$b not found: run 'bash scripts/cluster.sh build' with CLUSTER_NODE_KIND=real"
  done
  for b in bridge host-local loopback portmap; do
    [[ -x "$CNI_BIN/$b" ]] || die "CNI plugin $CNI_BIN/$b is missing (Debian package containernetworking-plugins)"
  done
  grep -qw overlay /proc/filesystems || die "the kernel has no overlayfs (containerd's snapshotter needs it)"
  [[ -d /sys/fs/cgroup/memory || -f /sys/fs/cgroup/cgroup.controllers ]] || die "no cgroup hierarchy under /sys/fs/cgroup"
  if [[ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ]]; then
    modprobe br_netfilter 2>/dev/null || die "bridged traffic bypasses iptables (no br_netfilter): Services would not work"
  fi
  iptables -t nat -S >/dev/null 2>&1 || die "iptables cannot read the nat table: $(iptables -t nat -S 2>&1 | head -n1)"
  # NetworkPolicy enforcement: kube-router matches pods by ipset (hash:ip, hash:net) and bridged
  # traffic with physdev.
  ipset list -n >/dev/null 2>&1 || die "ipset cannot list the kernel's sets (ip_set): NetworkPolicies could not be enforced"
}

# ----------------------------------------------------------------- pki -----
# Serving and client certificates of node I, and kube-proxy's client certificate.
make_node_pki() {
  local i="$1" name
  name="$(node_name "$i")"
  [[ -s "$PKI/kubelet-$name.crt" ]] || client_cert "kubelet-$name" "/O=system:nodes/CN=system:node:$name"
  [[ -s "$PKI/kubelet-$name-serving.crt" ]] || cert "kubelet-$name-serving" "/CN=$name" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:$(node_ip "$i"),DNS:$name"
  kubeconfig "$INTERNAL/kubelet-$name.kubeconfig" "system:node:$name" "kubelet-$name"
}

make_real_pki() {
  local i
  [[ -s "$PKI/kube-proxy.crt" ]] || client_cert kube-proxy "/CN=system:kube-proxy"
  [[ -s "$PKI/apiserver-kubelet-client.crt" ]] || client_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  [[ -s "$PKI/kube-router-netpol.crt" ]] || client_cert kube-router-netpol "/CN=$NETPOL_USER"
  kubeconfig "$INTERNAL/kube-proxy.kubeconfig" system:kube-proxy kube-proxy
  kubeconfig "$INTERNAL/kube-router-netpol.kubeconfig" "$NETPOL_USER" kube-router-netpol
  for ((i = 0; i < NODES; i++)); do make_node_pki "$i"; done
}

# -------------------------------------------------------------- network -----
# Bridge tenode<i> with the node's IP: it exists before the kubelet binds to that IP; the CNI
# bridge plugin then finds it with the gateway address already in place.
make_bridge() {
  local i="$1" br
  br="$(node_bridge "$i")"
  ip link show "$br" >/dev/null 2>&1 || ip link add "$br" type bridge
  ip addr replace "$(node_ip "$i")/24" dev "$br"
  ip link set "$br" up
}

remove_bridge() { ip link del "$(node_bridge "$1")" 2>/dev/null || true; }

# Forwarding between the bridges and bridged traffic through iptables (kube-proxy's Services),
# and pods' traffic to outside the pod network masqueraded (CoreDNS forwards to the machine's
# resolver). Between pods there is no NAT: policies see the pod's own source IP.
MASQ_RULE=(POSTROUTING -s "$POD_CIDR" ! -d "$POD_CIDR" -m comment --comment "team-environments real nodes" -j MASQUERADE)
enable_forwarding() {
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 ||
    die "could not enable IP forwarding (sysctl net.ipv4.ip_forward)"
  iptables -t nat -C "${MASQ_RULE[@]}" 2>/dev/null || iptables -t nat -A "${MASQ_RULE[@]}"
}

# What kube-proxy --cleanup leaves: the kubelets' and kube-proxy's own chains (KUBE-*) and our
# masquerade rule. Everything else in the tables is restored as it was.
remove_node_rules() {
  local cmd
  for cmd in iptables ip6tables; do
    command -v "$cmd-save" >/dev/null || continue
    "$cmd-save" 2>/dev/null | grep -v -e 'KUBE-' -e 'team-environments real nodes' | "$cmd-restore" 2>/dev/null ||
      log "could not remove the nodes' $cmd rules (see $cmd-save | grep KUBE-)"
  done
}

write_cni_config() {
  local i="$1" dir="$NODE_DIR/node-$1"
  mkdir -p "$dir/cni/net.d" "$dir/cni/ipam"
  # No ipMasq: pods keep their own source IP between nodes, as NetworkPolicies expect.
  cat >"$dir/cni/net.d/10-bridge.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$(node_bridge "$i")",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$(node_bridge "$i")",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$(node_subnet "$i")", "gateway": "$(node_ip "$i")" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$dir/cni/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
}

# ----------------------------------------------------------- containerd -----
# Whether this machine lets root lower an oom_score_adj (CAP_SYS_RESOURCE; some sandboxes drop it).
# Where it does not, the kubelet's -998 for every pause container makes runc fail ("can't get
# final child's PID from pipe"); containerd then caps every request at its own score, as it does
# for rootless runtimes.
can_lower_oom_score() { (echo -1 >/proc/self/oom_score_adj) 2>/dev/null; }

write_containerd_config() {
  local i="$1" dir="$NODE_DIR/node-$1" run="$RUN_DIR/node-$1"
  mkdir -p "$dir/containerd" "$run"
  cat >"$dir/containerd.toml" <<TOML
version = 2
root = "$dir/containerd"
state = "$run/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$(node_socket "$i")"
[ttrpc]
  address = "$run/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  restrict_oom_score_adj = $(can_lower_oom_score && echo false || echo true)
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$dir/cni/net.d"
TOML
}

start_containerd() {
  local i="$1"
  write_cni_config "$i"
  write_containerd_config "$i"
  start "containerd-$i" --config "$NODE_DIR/node-$i/containerd.toml" --log-level warn
  wait_for 60 "containerd of $(node_name "$i")" "containerd-$i" node_ctr "$i" version
}

# -------------------------------------------------------------- kubelet -----
# The kubelet refuses a cgroup root that does not exist.
make_cgroup_root() {
  local i="$1" c
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    mkdir -p "/sys/fs/cgroup/te-node-$i"
  else
    for c in /sys/fs/cgroup/*/; do
      [[ "$c" == */unified/ ]] && continue
      mkdir -p "$c/te-node-$i" 2>/dev/null || true
    done
  fi
}

remove_cgroup_root() {
  local i="$1"
  find /sys/fs/cgroup -depth -type d -path "*/te-node-$i*" -exec rmdir {} + 2>/dev/null || true
}

write_kubelet_config() {
  local i="$1" name dir="$NODE_DIR/node-$1"
  name="$(node_name "$i")"
  mkdir -p "$dir"
  cat >"$dir/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $(node_ip "$i")
port: 10250
readOnlyPort: 0
healthzBindAddress: $(node_ip "$i")
healthzPort: 10248
tlsCertFile: $PKI/kubelet-$name-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-$name-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
clusterDomain: $CLUSTER_DOMAIN
clusterDNS: [$DNS_IP]
containerRuntimeEndpoint: unix://$(node_socket "$i")
cgroupDriver: cgroupfs
cgroupRoot: /te-node-$i
failSwapOn: false
failCgroupV1: false
resolvConf: /etc/resolv.conf
# Not the shared /var/log/pods: a kubelet removes the log directories of pods it does not know,
# which on this machine are the other nodes' pods.
podLogsDir: $dir/pod-logs
serializeImagePulls: false
# The images are imported, never pulled: garbage-collecting them would break the next pod.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
YAML
}

start_kubelet() {
  local i="$1" name zones=(zone-a zone-b zone-c)
  name="$(node_name "$i")"
  make_bridge "$i"
  make_cgroup_root "$i"
  write_kubelet_config "$i"
  mkdir -p "$NODE_DIR/node-$i/kubelet"
  start "kubelet-$i" \
    --config "$NODE_DIR/node-$i/kubelet.yaml" \
    --kubeconfig "$INTERNAL/kubelet-$name.kubeconfig" \
    --root-dir "$NODE_DIR/node-$i/kubelet" \
    --hostname-override "$name" \
    --node-ip "$(node_ip "$i")" \
    --node-labels "type=real,topology.kubernetes.io/region=local,topology.kubernetes.io/zone=${zones[i % 3]}" \
    --v 1
}

real_nodes_ready() {
  local ready
  ready="$(kc get nodes -l type=real -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$' || true)"
  [[ "$ready" -ge "$NODES" ]]
}

start_kube_proxy() {
  cat >"$INTERNAL/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $INTERNAL/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $(node_name 0)
bindAddress: $HOST
healthzBindAddress: $HOST:10256
metricsBindAddress: $HOST:10249
# Leave the machine's conntrack table size alone.
conntrack: {maxPerCore: 0}
YAML
  start kube-proxy --config "$INTERNAL/kube-proxy.yaml" --v 1
  wait_for 60 "kube-proxy /healthz" kube-proxy curl -fsS --max-time 2 "http://$HOST:10256/healthz"
}

# ------------------------------------------------------- NetworkPolicy ----
# kube-router's controller reads pods, namespaces and policies, and its node's addresses; it writes
# nothing to the API (k3s runs it as its own controller identity with the same reads).
start_netpol() {
  kc apply -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:kube-router-netpol"}
rules:
  - apiGroups: [""]
    resources: [pods, namespaces]
    verbs: [get, list, watch]
  - apiGroups: [""]
    resources: [nodes]
    verbs: [get]
  - apiGroups: [networking.k8s.io]
    resources: [networkpolicies]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:kube-router-netpol"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kube-router-netpol"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "$NETPOL_USER"}]
YAML
  start kube-router-netpol \
    --kubeconfig "$INTERNAL/kube-router-netpol.kubeconfig" \
    --hostname-override "$(node_name 0)" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --v 1
  # The mark-accept rule is written by a full sync's iptables-restore only: a sync that fails (a
  # missing xtables match) never writes it, and up fails here instead of enforcing nothing.
  wait_for 60 "the NetworkPolicy controller's first sync" kube-router-netpol netpol_synced
}
netpol_synced() { iptables -S KUBE-ROUTER-FORWARD 2>/dev/null | grep -q -- '--mark 0x20000/0x20000'; }

# The sets kube-router created, its swap sets (TMP-*) included; its rules are gone by then
# (remove_node_rules), so nothing references them.
remove_netpol_sets() {
  command -v ipset >/dev/null || return 0
  ipset list -n 2>/dev/null | grep -E '^(KUBE-|TMP-)' | xargs -r -n1 ipset destroy 2>/dev/null || true
}

# ------------------------------------------------------------- volumes ----
# k3s's local-path provisioner makes every volume's directory mode 0777, so a pod of any uid (the
# database runs as 70) can write to it. This control plane's in-tree host-path provisioner makes
# them 0750 root (scripts/cluster/storage.yaml): a small loop opens each new one as local-path would.
start_volume_permissions() {
  mkdir -p "$HOSTPATH_PV_DIR"
  # shellcheck disable=SC2016 # expanded by the loop's own shell
  start volume-permissions -c 'while :; do find "$0" -mindepth 1 -maxdepth 1 -type d ! -perm 0777 -exec chmod 0777 {} +; sleep 0.5; done' "$HOSTPATH_PV_DIR"
}

# ----------------------------------------------------------------- images ----
# Built by scripts/images.sh from the binaries built here and Debian's packages.
PAUSE_IMAGE=team-environments.local/pause:1
COREDNS_IMAGE="team-environments.local/coredns:$COREDNS_VERSION"

# scripts/images.sh with the coredns binary built here.
images() { COREDNS_BINARY="$COREDNS_BIN/coredns" COREDNS_VERSION="$COREDNS_VERSION" bash "$SCRIPT_DIR/images.sh" "$@"; }
build_images() { images build; }

import_images() {
  local i sockets=()
  for ((i = 0; i < NODES; i++)); do sockets+=("$(node_socket "$i")"); done
  images import "${sockets[@]}" >"$LOGS/images-import.log" 2>&1 ||
    die "importing the local images into the nodes failed (log: $LOGS/images-import.log)"
}

# ---------------------------------------------------------------- CoreDNS ----
install_coredns() {
  kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    .:53 {
        errors
        health
        ready
        kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
          pods insecure
          fallthrough in-addr.arpa ip6.arpa
        }
        prometheus :9153
        forward . /etc/resolv.conf
        cache 30
        loop
        reload
        loadbalance
    }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      dnsPolicy: Default
      # Port 53 as a non-root user: a runtime gives added capabilities to root only, and the
      # upstream image's file capability (setcap on /coredns) is not in this one. The pod's own
      # network namespace lets unprivileged users bind from 53 up (a "safe" sysctl).
      securityContext:
        runAsNonRoot: true
        runAsUser: 65534
        runAsGroup: 65534
        seccompProfile: {type: RuntimeDefault}
        sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "53"}]
      containers:
        - name: coredns
          image: $COREDNS_IMAGE
          args: ["-conf", "/etc/coredns/Corefile"]
          ports:
            - {name: dns, containerPort: 53, protocol: UDP}
            - {name: dns-tcp, containerPort: 53, protocol: TCP}
            - {name: metrics, containerPort: 9153, protocol: TCP}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
          resources:
            requests: {cpu: 100m, memory: 70Mi}
            limits: {memory: 170Mi}
          livenessProbe: {httpGet: {path: /health, port: 8080}, initialDelaySeconds: 10, periodSeconds: 10}
          readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 2}
          volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
      volumes: [{name: config, configMap: {name: coredns}}]
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS}
spec:
  clusterIP: $DNS_IP
  selector: {k8s-app: kube-dns}
  ports:
    - {name: dns, port: 53, protocol: UDP}
    - {name: dns-tcp, port: 53, protocol: TCP}
    - {name: metrics, port: 9153, protocol: TCP}
YAML
  kc -n kube-system rollout status deployment/coredns --timeout 120s >/dev/null ||
    die "CoreDNS did not become Ready (kubectl -n kube-system describe pod -l k8s-app=kube-dns)"
}

# ------------------------------------------------------------ up / down ----
start_real_nodes() {
  local i kubelets=()
  # What a run that ended without `down` left (its chains would pass for this run's).
  remove_node_rules
  remove_netpol_sets
  enable_forwarding
  for ((i = 0; i < NODES; i++)); do start_containerd "$i"; done
  step "images into $NODES containerd stores" import_images
  # One after another: every kubelet binds the same device-plugin socket (a fixed path, not under
  # --root-dir), removing the file first; started together, two of them race and one exits with
  # "bind: address already in use" (seen about one up in six with 4 nodes). Once a kubelet has bound
  # it, the next may take the path: the earlier one keeps its listener, which nothing here uses.
  for ((i = 0; i < NODES; i++)); do
    rm -f "$DEVICE_PLUGIN_SOCKET"
    start_kubelet "$i"
    wait_for 30 "kubelet-$i's device-plugin socket" "kubelet-$i" test -S "$DEVICE_PLUGIN_SOCKET"
    kubelets+=("kubelet-$i")
  done
  wait_for 120 "$NODES Ready nodes" "${kubelets[*]}" real_nodes_ready
  start_kube_proxy
  start_netpol
  start_volume_permissions
}

# Every pod goes through its kubelet so that CNI releases its address and network namespace:
# stop the controllers (nothing is recreated), delete all pods, wait for the runtimes to be
# empty. Anything still running after that is killed by the pid containerd reports for it.
drain_real_nodes() {
  local i deadline left
  if [[ -n "$(live_pid kube-apiserver)" ]]; then
    kc delete pods --all --all-namespaces --force --grace-period 0 --wait=false >/dev/null 2>&1 || true
  fi
  deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    left=0
    for ((i = 0; i < NODES; i++)); do
      [[ -n "$(live_pid "containerd-$i")" ]] || continue
      # Exited containers stay listed until the kubelet's garbage collection: count running tasks.
      ! node_ctr "$i" tasks ls 2>/dev/null | awk 'NR > 1 && $3 == "RUNNING"' | grep -q . || left=1
    done
    ((left)) || return 0
    sleep 1
  done
  log "pods still running after 60s: killing their processes"
  for ((i = 0; i < NODES; i++)); do
    [[ -n "$(live_pid "containerd-$i")" ]] || continue
    node_ctr "$i" tasks ls 2>/dev/null | awk 'NR > 1 && $2 ~ /^[0-9]+$/ {print $2}' | xargs -r kill -KILL 2>/dev/null || true
  done
}

# Unmount what the kubelets and containerds mounted under the node dirs (volumes, rootfs, shm).
unmount_node_dirs() {
  local m
  [[ -d "$NODE_DIR" || -d "$RUN_DIR" ]] || return 0
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(
    awk -v a="$NODE_DIR/" -v b="$RUN_DIR/" 'index($2, a) == 1 || index($2, b) == 1 {print $2}' /proc/self/mounts | sort -r)
}

stop_real_nodes() {
  local i names=()
  drain_real_nodes
  for ((i = 0; i < NODES; i++)); do names+=("kubelet-$i"); done
  stop volume-permissions kube-router-netpol kube-proxy "${names[@]}"
  if [[ -x "$(bin_of kube-proxy)" ]]; then "$(bin_of kube-proxy)" --cleanup >/dev/null 2>&1 || true; fi
  remove_node_rules
  remove_netpol_sets
  names=()
  for ((i = 0; i < NODES; i++)); do names+=("containerd-$i"); done
  stop "${names[@]}"
  unmount_node_dirs
  for ((i = 0; i < NODES; i++)); do remove_bridge "$i"; remove_cgroup_root "$i"; done
  rm -rf "$NODE_DIR" "$RUN_DIR"
}
