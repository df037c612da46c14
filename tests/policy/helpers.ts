/**
 * Fixtures for the policy tests: one compliant baseline per kind, built in code, and a runner
 * that goes through the pack's engine emulation (fresh `unknownCheckingProxy` per rule).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ResourceLike } from "../../policy/analysis/objects";
import {
  Component,
  DEFAULT_APP_NAME,
  LABEL,
  NAMESPACE_KINDS,
  NamespaceKind,
  namespaceLabels,
  selectorLabels,
  workloadLabels as conventionalLabels,
} from "../../policy/conventions";
import { policies } from "../../policy/policies";
import { PackRule } from "../../policy/rules/kit";
import { Finding, PackConfig, runPack } from "../../policy/runner";

/** The engine's sentinel for an unknown string during preview. */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

type Props = Record<string, unknown>;

/** A resource of `stack` with the given type token and props. */
export function res(stack: string, type: string, name: string, props: Props, protect = false): ResourceLike {
  return { type, urn: `urn:pulumi:${stack}::team-environments::${type}::${name}`, name, props, opts: { protect } };
}

/** Deep copy then mutate: one-field mutations of a baseline. */
export function mutate<T>(value: T, fn: (v: T) => void): T {
  const copy = structuredClone(value);
  fn(copy);
  return copy;
}

/** Conventional labels of a workload (the program's own, from policy/conventions.ts). */
export function workloadLabels(env: string, name: string, component: string): Record<string, string> {
  return conventionalLabels({ appName: DEFAULT_APP_NAME, environment: env, name, component: component as Component });
}

/** A compliant container. */
export function container(name: string, image: string, port = 8080): Props {
  return {
    name,
    image,
    ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
    env: [{ name: "APP_ENV", value: "x" }],
    readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5 },
    livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
  };
}

/** A compliant Deployment. */
export function deployment(stack: string, ns: string, name: string, opts: { tag?: string; replicas?: number; component?: string; port?: number } = {}): ResourceLike {
  const labels = workloadLabels(ns, name, opts.component ?? "api");
  const spec: Props = {
    selector: { matchLabels: selectorLabels(name, ns) },
    template: {
      metadata: { labels },
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 10001 },
        containers: [container(name, `ghcr.io/acme/${name}:${opts.tag ?? "abc1234"}`, opts.port)],
      },
    },
  };
  if (opts.replicas !== undefined) spec.replicas = opts.replicas;
  return res(stack, "kubernetes:apps/v1:Deployment", `${ns}-${name}`, { metadata: { name, namespace: ns, labels }, spec });
}

/** A Namespace with conventional labels. */
export function namespace(stack: string, name: string, kind: string, protect = false): ResourceLike {
  return res(
    stack,
    "kubernetes:core/v1:Namespace",
    name,
    {
      metadata: {
        name,
        labels: NAMESPACE_KINDS.includes(kind as NamespaceKind) ? namespaceLabels(DEFAULT_APP_NAME, name, kind as NamespaceKind) : { [LABEL.environment]: name, [LABEL.kind]: kind },
      },
    },
    protect,
  );
}

/** A NetworkPolicy. */
export function netpol(stack: string, ns: string, name: string, spec: Props): ResourceLike {
  return res(stack, "kubernetes:networking.k8s.io/v1:NetworkPolicy", `${ns}-${name}`, { metadata: { name, namespace: ns }, spec });
}

/** The guardrail policies of an environment namespace: default deny, DNS, same-namespace traffic. */
export function guardrailPolicies(stack: string, ns: string): ResourceLike[] {
  return [
    netpol(stack, ns, "default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    netpol(stack, ns, "allow-dns", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    }),
    netpol(stack, ns, "allow-same-namespace", {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: {} }] }],
      egress: [{ to: [{ podSelector: {} }] }],
    }),
  ];
}

/** A RoleBinding / ClusterRoleBinding. */
export function binding(stack: string, ns: string | undefined, name: string, roleRef: { kind: string; name: string }, subjects: Props[]): ResourceLike {
  const type = ns ? "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding" : "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";
  return res(stack, type, `${ns ?? "cluster"}-${name}`, {
    metadata: ns ? { name, namespace: ns } : { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
    subjects,
  });
}

/** A Role / ClusterRole. */
export function role(stack: string, ns: string | undefined, name: string, rules: Props[], extra: Props = {}): ResourceLike {
  const type = ns ? "kubernetes:rbac.authorization.k8s.io/v1:Role" : "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
  const { labels, ...rest } = extra as { labels?: Props };
  return res(stack, type, `${ns ?? "cluster"}-${name}`, { metadata: { name, ...(ns ? { namespace: ns } : {}), ...(labels ? { labels } : {}) }, rules, ...rest });
}

/** Group subject `developers`. */
export const DEVELOPERS = { kind: "Group", name: "developers", apiGroup: "rbac.authorization.k8s.io" };

/** Runs the given rules (default: all) over `resources`. */
export async function check(resources: ResourceLike[], config: PackConfig = {}, rules: readonly PackRule[] = policies): Promise<Finding[]> {
  return (await runPack(rules, resources, config)).findings;
}

/** Findings of one rule. */
export async function findingsOf(ruleName: string, resources: ResourceLike[], config: PackConfig = {}): Promise<Finding[]> {
  const rule = policies.find((p) => p.name === ruleName);
  if (!rule) throw new Error(`no rule ${ruleName}`);
  return check(resources, config, [rule]);
}

/** Writes resources as a `pulumi stack export` file; returns its path. */
export function writeExport(stack: string, resources: ResourceLike[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-"));
  const file = path.join(dir, `${stack}.json`);
  const doc = {
    version: 3,
    deployment: {
      manifest: {},
      resources: [
        { urn: `urn:pulumi:${stack}::team-environments::pulumi:pulumi:Stack::team-environments-${stack}`, custom: false, type: "pulumi:pulumi:Stack" },
        ...resources.map((r) => ({ urn: r.urn, custom: true, id: r.name, type: r.type, inputs: r.props, outputs: r.props, protect: r.opts?.protect ?? false })),
      ],
    },
  };
  fs.writeFileSync(file, JSON.stringify(doc));
  return file;
}
