#!/usr/bin/env bash
# Smoke test of the local control plane with fake nodes
# (`CLUSTER_NODE_KIND=kwok bash scripts/cluster.sh up`). Creates a namespace with the
# kinds of objects the program deploys, checks that the controllers and KWOK act on
# them, checks RBAC for the developer and QA users, then deletes the namespace and
# waits until it is gone. Real nodes are proved by tests/e2e/real-pods.spec.ts and
# tests/e2e/network.spec.ts instead (its placeholder images would not run there).
#
#   bash scripts/cluster/smoke-test.sh          (prints 'N passed, N failed')
set -euo pipefail

# shellcheck source=scripts/lib/cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cache.sh"
CACHE="$TEAM_ENV_CACHE_ROOT"
ADMIN="$CACHE/cluster/kubeconfig"
DEV="$CACHE/cluster/developer.kubeconfig"
QA="$CACHE/cluster/qa.kubeconfig"
KUBECTL="${KUBECTL:-kubectl}"
NS="${SMOKE_NAMESPACE:-smoke-$$}"
NODE_KIND=kwok
[[ ! -s "$CACHE/cluster/node-kind" ]] || read -r NODE_KIND _ <"$CACHE/cluster/node-kind"
if [[ "$NODE_KIND" != kwok ]]; then
  echo "smoke-test: the running cluster has $NODE_KIND nodes; this test is for fake ones (CLUSTER_NODE_KIND=kwok bash scripts/cluster.sh up)" >&2
  exit 2
fi

k() { "$KUBECTL" --kubeconfig "$ADMIN" "$@"; }
passed=0 failed=0
ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }
# check LABEL CMD...: CMD must succeed.
check() { local label="$1"; shift; if "$@" >/dev/null; then ok "$label"; else bad "$label"; fi; }
# eventually SECONDS LABEL CMD...: CMD must succeed within SECONDS.
eventually() {
  local timeout="$1" label="$2" deadline; shift 2
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then bad "$label (not within ${timeout}s)"; return 0; fi
    sleep 1
  done
  ok "$label"
}
jp() { k get "$@" 2>/dev/null; }
nonempty() { [[ -n "$("$@" 2>/dev/null)" ]]; }
equals() { local want="$1"; shift; [[ "$("$@" 2>/dev/null)" == "$want" ]]; }

[[ -s "$ADMIN" ]] || { echo "no kubeconfig at $ADMIN: run 'bash scripts/cluster.sh up'" >&2; exit 1; }
t0=$SECONDS

# Pods here meet Pod Security "restricted", like the program's namespaces.
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels:
    pod-security.kubernetes.io/enforce: restricted
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: quota, namespace: $NS}
spec:
  hard: {requests.cpu: "4", requests.memory: 8Gi, limits.cpu: "8", limits.memory: 16Gi, pods: "20", persistentvolumeclaims: "4", requests.storage: 20Gi, services.loadbalancers: "1"}
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: $NS}
spec:
  limits:
    - type: Container
      default: {cpu: 200m, memory: 256Mi}
      defaultRequest: {cpu: 100m, memory: 128Mi}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $NS}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: nginxinc/nginx-unprivileged:1.27
          ports: [{containerPort: 8080}]
          readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 5}
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: $NS}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb, namespace: $NS}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: $NS}
spec:
  rules:
    - host: web.local.test
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: $NS}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: $NS}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 6
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: $NS}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: $NS}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: migrate
          image: busybox:1.36
          command: [sh, -c, "echo migrated"]
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: refresh, namespace: $NS}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
          containers:
            - name: refresh
              image: busybox:1.36
              command: [sh, -c, "echo refreshed"]
              securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: postgres, namespace: $NS}
spec:
  serviceName: postgres
  replicas: 2
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 999, fsGroup: 999, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: postgres
          image: postgres:16
          volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: web, namespace: $NS}
spec:
  groups:
    - name: web
      rules:
        - alert: WebDown
          expr: up{job="web"} == 0
          for: 5m
          labels: {severity: critical}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: auth, namespace: $NS}
spec:
  basicAuth: {secret: web-auth}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: web, namespace: $NS}
spec:
  entryPoints: [websecure]
  routes:
    - match: Host(\`web.local.test\`)
      kind: Rule
      middlewares: [{name: auth}]
      services: [{name: web, port: 80}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: ci-deployer, namespace: $NS}
---
apiVersion: v1
kind: Secret
metadata:
  name: ci-deployer-token
  namespace: $NS
  annotations: {kubernetes.io/service-account.name: ci-deployer}
type: kubernetes.io/service-account-token
EOF
ok "applied namespace $NS with quota, limits, workloads, CRs, service account"

# Controllers and KWOK at work.
eventually 30 "ResourceQuota has status.hard and status.used" \
  nonempty jp resourcequota quota -n "$NS" -o jsonpath='{.status.hard.pods}{.status.used.pods}'
eventually 90 "Deployment web is Available with 3 ready replicas" \
  equals "True/3" jp deployment web -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Available")].status}/{.status.readyReplicas}'
eventually 30 "Pods of web are Running and Ready" \
  equals "True True True" jp pods -n "$NS" -l app=web -o jsonpath='{.items[*].status.conditions[?(@.type=="Ready")].status}'
eventually 30 "Pods are spread over the fake nodes (not Pending)" \
  equals "" jp pods -n "$NS" --field-selector=status.phase=Pending -o name
eventually 30 "EndpointSlice of Service web lists 3 ready endpoints" \
  equals "true true true" jp endpointslices -n "$NS" -l kubernetes.io/service-name=web -o jsonpath='{.items[*].endpoints[*].conditions.ready}'
eventually 30 "PDB web allows 1 disruption" \
  equals "1" jp pdb web -n "$NS" -o jsonpath='{.status.disruptionsAllowed}'
eventually 30 "ResourceQuota counts the 3 web pods' requests" \
  nonempty jp resourcequota quota -n "$NS" -o jsonpath='{.status.used.requests\.cpu}'
eventually 60 "HPA web is processed (conditions set; no metrics here)" \
  nonempty jp hpa web -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="AbleToScale")].status}'
eventually 60 "Job migrate reaches Complete" \
  equals "True" jp job migrate -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Complete")].status}'
k create job refresh-now --from=cronjob/refresh -n "$NS" >/dev/null
eventually 60 "Job created from CronJob refresh reaches Complete" \
  equals "True" jp job refresh-now -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Complete")].status}'
eventually 120 "StatefulSet postgres has 2 ready replicas" \
  equals "2" jp statefulset postgres -n "$NS" -o jsonpath='{.status.readyReplicas}'
eventually 30 "PVCs of postgres are Bound" \
  equals "Bound Bound" jp pvc -n "$NS" -o jsonpath='{.items[*].status.phase}'
check "NetworkPolicy stored" jp networkpolicy default-deny -n "$NS" -o name
eventually 30 "Ingress web gets a load-balancer address (kwok stage)" \
  equals "127.0.0.1" jp ingress web -n "$NS" -o jsonpath='{.status.loadBalancer.ingress[0].ip}'
eventually 30 "LoadBalancer Service web-lb gets an address (kwok stage)" \
  equals "127.0.0.1" jp service web-lb -n "$NS" -o jsonpath='{.status.loadBalancer.ingress[0].ip}'
check "PrometheusRule stored" equals "WebDown" jp prometheusrule web -n "$NS" -o jsonpath='{.spec.groups[0].rules[0].alert}'
check "IngressRoute and Middleware stored" nonempty jp ingressroute,middleware -n "$NS" -o name
if k apply --dry-run=server -f - >/dev/null 2>&1 <<EOF
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: invalid, namespace: $NS}
spec: {routes: [{kind: Rule}]}
EOF
then bad "IngressRoute without match is rejected"; else ok "IngressRoute without match is rejected"; fi
if k run root-pod -n "$NS" --image=busybox:1.36 --restart=Never >/dev/null 2>&1; then
  bad "Pod Security restricted rejects a root pod"
else ok "Pod Security restricted rejects a root pod"; fi

# Service account token Secret filled by the token controller, and usable.
eventually 30 "service-account-token Secret gets a token" \
  nonempty jp secret ci-deployer-token -n "$NS" -o jsonpath='{.data.token}'
token="$(k get secret ci-deployer-token -n "$NS" -o jsonpath='{.data.token}' | base64 -d)"
check "token authenticates as the ServiceAccount" equals "system:serviceaccount:$NS:ci-deployer" \
  "$KUBECTL" --kubeconfig /dev/null --server "$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')" \
  --certificate-authority "$CACHE/cluster/pki/ca.crt" --token "$token" auth whoami -o jsonpath='{.status.userInfo.username}'
check "kube-root-ca.crt ConfigMap published" jp configmap kube-root-ca.crt -n "$NS" -o name

# RBAC: nothing for developers until a RoleBinding says so.
check "dev1 (developers) may not create deployments before a binding" equals "no" \
  k auth can-i create deployments -n "$NS" --as dev1 --as-group developers
k create rolebinding developers-edit -n "$NS" --clusterrole edit --group developers >/dev/null
check "dev1 (developers) may create deployments after the RoleBinding" equals "yes" \
  k auth can-i create deployments -n "$NS" --as dev1 --as-group developers
check "developer.kubeconfig authenticates as dev1 in group developers" equals "dev1 developers" \
  "$KUBECTL" --kubeconfig "$DEV" auth whoami -o jsonpath='{.status.userInfo.username} {.status.userInfo.groups[0]}'
check "developer.kubeconfig can list pods in $NS" equals "yes" "$KUBECTL" --kubeconfig "$DEV" auth can-i list pods -n "$NS"
check "developer.kubeconfig cannot list nodes" equals "no" "$KUBECTL" --kubeconfig "$DEV" auth can-i list nodes
check "qa.kubeconfig authenticates as qa1 in group qa-engineers" equals "qa1 qa-engineers" \
  "$KUBECTL" --kubeconfig "$QA" auth whoami -o jsonpath='{.status.userInfo.username} {.status.userInfo.groups[0]}'
sar() {
  k create -o jsonpath='{.status.allowed}' -f - <<EOF
apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: $1
  groups: [$2]
  resourceAttributes: {namespace: $NS, verb: delete, group: apps, resource: deployments}
EOF
}
check "SubjectAccessReview allows dev1/developers to delete deployments" equals "true" sar dev1 developers
check "SubjectAccessReview denies qa1/qa-engineers" equals "false" sar qa1 qa-engineers

# Namespace deletion: namespace controller, GC, pod-delete stage, PVC protection.
k delete namespace "$NS" --wait=false >/dev/null
eventually 180 "namespace $NS deleted and gone" bash -c "! '$KUBECTL' --kubeconfig '$ADMIN' get namespace '$NS' >/dev/null 2>&1"
eventually 60 "PersistentVolumes of $NS released and deleted" \
  equals "" jp pv -o jsonpath="{.items[?(@.spec.claimRef.namespace==\"$NS\")].metadata.name}"

echo "smoke test took $((SECONDS - t0))s"
echo "$passed passed, $failed failed"
((failed == 0))
