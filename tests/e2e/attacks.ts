/**
 * The lock, attacked for real: each identity tries each path on the live API server
 * (impersonated by the admin; writes as `--dry-run=server`, which runs authorization and every
 * admission policy but stores nothing), and the pack predicts each verdict from the stacks'
 * exports — RBAC (`allows`) and the admission fences it honours (`fenceAdmits`).
 */
import { spawnSync } from "child_process";
import { fenceAdmits, Fence } from "../../policy/analysis/fences";
import { Identity, RbacModel, allows } from "../../policy/analysis/rbac";

/** Who attacks: the users and groups the API server authenticates them as. */
export const ATTACKERS: Record<string, Identity> = {
  developer: { user: "dev1", groups: ["developers", "system:authenticated"] },
  qa: { user: "qa1", groups: ["qa-engineers", "system:authenticated"] },
  "preview deployer": sa("team-ci", "preview-deployer"),
  "ci qa": sa("qa", "ci-deployer"),
  "ci staging": sa("staging", "ci-deployer"),
  "ci production": sa("production", "ci-deployer"),
};

function sa(namespace: string, name: string): Identity {
  return { user: `system:serviceaccount:${namespace}:${name}`, groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"] };
}

/** One attempt: the request it makes (for the pack) and the kubectl arguments that make it. */
interface Attempt {
  what: string;
  verb: string;
  group: string;
  resource: string;
  /** Whether admission sees it (reads are never admitted). */
  admitted: boolean;
  args: (ns: string) => string[];
  /** Manifest on stdin, if any. */
  manifest?: (ns: string) => object;
}

const DRY = "--dry-run=server";

/** The paths the issue names, each as a real request. */
export const ATTEMPTS: Attempt[] = [
  { what: "create a ConfigMap", verb: "create", group: "", resource: "configmaps", admitted: true, args: (ns) => ["create", "configmap", "attack", "-n", ns, DRY] },
  { what: "list Secrets", verb: "list", group: "", resource: "secrets", admitted: false, args: (ns) => ["get", "secrets", "-n", ns, "-o", "name"] },
  {
    what: "create a Deployment",
    verb: "create",
    group: "apps",
    resource: "deployments",
    admitted: true,
    args: (ns) => ["create", "deployment", "attack", "--image=registry.invalid/x:1", "-n", ns, DRY],
  },
  {
    // `kubectl patch` sends the PATCH alone (`kubectl label` would GET first).
    what: "relabel the namespace kind=feature",
    verb: "patch",
    group: "",
    resource: "namespaces",
    admitted: true,
    args: (ns) => ["patch", "namespace", ns, "--type=merge", "-p", '{"metadata":{"labels":{"team-environments.dev/kind":"feature","attack":"1"}}}', DRY],
  },
  { what: "delete the namespace", verb: "delete", group: "", resource: "namespaces", admitted: true, args: (ns) => ["delete", "namespace", ns, DRY] },
  {
    what: "mint a ServiceAccount token",
    verb: "create",
    group: "",
    resource: "serviceaccounts/token",
    admitted: true,
    args: (ns) => ["create", "token", "default", "-n", ns, "--duration=10m"],
  },
];

/** Namespaces attacked. */
export const TARGETS = (preview: string) => [preview, "qa", "staging", "production", "monitoring", "kube-system"];

/** One cell: API server's verdict, the pack's, and the server's words when it refused. */
export interface Cell {
  key: string;
  server: boolean;
  pack: boolean;
  message: string;
}

/** Runs kubectl as `who`; returns whether the request was allowed and what it said. */
export function attempt(kubectl: string[], who: Identity, args: string[], input?: string): { ok: boolean; message: string } {
  const impersonate = ["--as", who.user, ...who.groups.flatMap((g) => ["--as-group", g])];
  const res = spawnSync(kubectl[0], [...kubectl.slice(1), ...impersonate, ...args], { encoding: "utf8", input });
  // Never echo what an allowed request returned (a minted token, a Secret's name).
  return { ok: res.status === 0, message: res.status === 0 ? "allowed" : (res.stderr || res.stdout).trim().split("\n")[0] ?? "" };
}

/** Every identity × namespace × attempt, with the pack's prediction. */
export function attackGrid(kubectl: string[], model: RbacModel, fences: Fence[], preview: string): Cell[] {
  const cells: Cell[] = [];
  for (const [label, who] of Object.entries(ATTACKERS)) {
    for (const ns of TARGETS(preview)) {
      for (const a of ATTEMPTS) {
        const rbac = allows(model, who, a.verb, a.group, a.resource, ns) === true;
        const pack = rbac && (!a.admitted || fenceAdmits(fences, who.user, ns));
        const res = attempt(kubectl, who, a.args(ns));
        cells.push({ key: `${label} | ${ns} | ${a.what}`, server: res.ok, pack, message: res.message });
      }
    }
  }
  return cells;
}

/** An Ingress with one rule for `host` (none: a host-less rule, which catches every host). */
function ingress(metadata: object, host: string | undefined): object {
  const http = { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] };
  return { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata, spec: { rules: [host === undefined ? { http } : { host, http }] } };
}

/**
 * Attacks that only admission stops, made by the preview deployer inside its own preview (where
 * RBAC and the fence both let it write): each must be denied, and by the named policy.
 */
export function contentAttacks(preview: string, domain: string): { what: string; args: string[]; manifest?: object; deniedBy: RegExp }[] {
  const meta = { name: "attack", namespace: preview };
  return [
    {
      what: "lower the preview's Pod Security to privileged",
      args: ["label", "namespace", preview, "pod-security.kubernetes.io/enforce=privileged", "--overwrite", DRY],
      deniedBy: /team-feature-namespace-labels/,
    },
    { what: "remove the preview's kind label", args: ["label", "namespace", preview, "team-environments.dev/kind-", DRY], deniedBy: /team-feature-namespace-labels/ },
    {
      what: "create an unlabelled feature namespace",
      args: ["create", "-f", "-", DRY],
      manifest: { apiVersion: "v1", kind: "Namespace", metadata: { name: "feature-pr-424242" } },
      deniedBy: /team-feature-namespace-labels/,
    },
    {
      what: "create a namespace that is not a preview",
      args: ["create", "namespace", "feature-pr-7x", DRY],
      deniedBy: /team-preview-deployer-fence/,
    },
    {
      what: "take production's host with an Ingress",
      args: ["create", "-f", "-", DRY],
      manifest: ingress(meta, domain),
      deniedBy: /team-preview-hosts/,
    },
    {
      what: "catch every host with a host-less Ingress rule",
      args: ["create", "-f", "-", DRY],
      manifest: ingress(meta, undefined),
      deniedBy: /team-preview-hosts/,
    },
    {
      what: "take production's host with a second Host() in a Traefik IngressRoute",
      args: ["create", "-f", "-", DRY],
      manifest: {
        apiVersion: "traefik.io/v1alpha1",
        kind: "IngressRoute",
        metadata: meta,
        spec: { routes: [{ match: `Host(\`pr-7.preview.${domain}\`) || Host(\`${domain}\`)`, kind: "Rule", services: [{ name: "web", port: 80 }] }] },
      },
      deniedBy: /team-preview-hosts/,
    },
    {
      what: "bind developers to the deployer's Secrets role",
      args: ["create", "rolebinding", "attack", "--clusterrole=team-preview-deployer-secrets", "--group=developers", "-n", preview, DRY],
      deniedBy: /team-preview-rolebindings/,
    },
    {
      what: "bind developers to view (a role the deployer holds)",
      args: ["create", "rolebinding", "attack", "--clusterrole=team-developer-read", "--group=developers", "-n", preview, DRY],
      deniedBy: /team-preview-rolebindings|forbidden/,
    },
    {
      what: "intercept traffic with a Service externalIP (CVE-2020-8554)",
      args: ["create", "-f", "-", DRY],
      manifest: { apiVersion: "v1", kind: "Service", metadata: meta, spec: { ports: [{ port: 80 }], externalIPs: ["10.0.0.1"] } },
      deniedBy: /team-no-external-ips/,
    },
  ];
}

/** The same kinds of object, made the way the program makes them: the fences must let these through. */
export function allowedInPreview(preview: string, domain: string, n: string): { what: string; args: string[]; manifest?: object }[] {
  return [
    {
      what: "an Ingress under *.preview.<domain>",
      args: ["create", "-f", "-", DRY],
      manifest: ingress({ name: "allowed", namespace: preview }, `api.pr-${n}.preview.${domain}`),
    },
    { what: "a RoleBinding of developers to team-feature-developer", args: ["create", "rolebinding", "allowed", "--clusterrole=team-feature-developer", "--group=developers", "-n", preview, DRY] },
    { what: "a ClusterIP Service", args: ["create", "service", "clusterip", "allowed", "--tcp=80:8080", "-n", preview, DRY] },
  ];
}
