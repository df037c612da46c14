/**
 * The shared vocabulary of the evaluators: resource shape, type tokens, namespaces and their
 * kinds, stacks, and pod templates. Pure TypeScript over plain objects or engine proxies.
 */
import { CLUSTER_STACK, LABEL, NAMESPACE_KINDS, NamespaceKind, isFeatureEnvironment } from "../conventions";
import { UNKNOWN, Unknown, at, isUnknown, keys, list, str, stringMap } from "./values";

/**
 * The part of `@pulumi/policy`'s `PolicyResource` the evaluators need. Engine resources,
 * `pulumi stack export` resources and test fixtures all fit it.
 */
export interface ResourceLike {
  /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment`. */
  type: string;
  /** Pulumi URN; the stack name is its third field. */
  urn: string;
  /** Pulumi resource name. */
  name: string;
  /** Inputs (engine: wrapped by `unknownCheckingProxy`). */
  props: Record<string, unknown>;
  /** Resource options; only `protect` is read. */
  opts?: { protect?: boolean };
  /** The resource's provider, whose `namespace` applies to objects without one. */
  provider?: { type: string; urn: string; name: string; props: Record<string, unknown> };
}

/** Kubernetes type tokens the pack reads. */
export const T = {
  Namespace: "kubernetes:core/v1:Namespace",
  Pod: "kubernetes:core/v1:Pod",
  Service: "kubernetes:core/v1:Service",
  ConfigMap: "kubernetes:core/v1:ConfigMap",
  Secret: "kubernetes:core/v1:Secret",
  ServiceAccount: "kubernetes:core/v1:ServiceAccount",
  ResourceQuota: "kubernetes:core/v1:ResourceQuota",
  LimitRange: "kubernetes:core/v1:LimitRange",
  Deployment: "kubernetes:apps/v1:Deployment",
  StatefulSet: "kubernetes:apps/v1:StatefulSet",
  DaemonSet: "kubernetes:apps/v1:DaemonSet",
  ReplicaSet: "kubernetes:apps/v1:ReplicaSet",
  Job: "kubernetes:batch/v1:Job",
  CronJob: "kubernetes:batch/v1:CronJob",
  NetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  Ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  PodDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
  HorizontalPodAutoscaler: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  Role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
  ClusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  RoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  ClusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
  PrometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
} as const;

/** The `Kind` part of a Kubernetes type token (`Deployment`), or "" for other providers. */
export function kindOf(type: string): string {
  if (!type.startsWith("kubernetes:")) {
    return "";
  }
  const i = type.lastIndexOf(":");
  return type.slice(i + 1);
}

/** True for a type token of `kind` in any API version (`autoscaling/v2` and `v2beta2` alike). */
export function isKind(type: string, kind: string): boolean {
  return type.startsWith("kubernetes:") && kindOf(type) === kind;
}

/** Kinds whose objects are cluster-scoped (no namespace). */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "PersistentVolume",
  "StorageClass",
  "PriorityClass",
  "IngressClass",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
]);

/** The namespace kinds of policy/conventions.ts, `cluster` for the cluster stack, "other" for anything else. */
export type EnvKind = NamespaceKind | "cluster" | "other";

/** Kind of a namespace: its `team-environments.dev/kind` label, else derived from its name. */
export function namespaceKind(name: string, labels?: Record<string, string | Unknown>): EnvKind {
  const l = labels?.[LABEL.kind];
  if (typeof l === "string" && (NAMESPACE_KINDS as readonly string[]).includes(l)) {
    return l as EnvKind;
  }
  if (isFeatureEnvironment(name)) {
    return "feature";
  }
  if ((NAMESPACE_KINDS as readonly string[]).includes(name) && name !== "feature") {
    return name as EnvKind;
  }
  return "other";
}

/** Stack name from a URN (`urn:pulumi:<stack>::<project>::…`). */
export function stackOf(urn: string): string {
  const head = urn.split("::")[0] ?? "";
  return head.startsWith("urn:pulumi:") ? head.slice("urn:pulumi:".length) : head;
}

/** Kind of a stack from its name (`cluster`, `qa`, `staging`, `production`, `feature-pr-<N>`). */
export function stackKind(stack: string): EnvKind {
  if (stack === CLUSTER_STACK) {
    return "cluster";
  }
  const k = namespaceKind(stack);
  return k === "monitoring" ? "other" : k;
}

/** The stack of a set of resources (the first URN that names one), or "" when empty. */
export function stackOfResources(resources: readonly ResourceLike[]): string {
  for (const r of resources) {
    const s = stackOf(r.urn);
    if (s) {
      return s;
    }
  }
  return "";
}

/**
 * Namespace of a namespaced object: `metadata.namespace`, else the provider's `namespace`,
 * else `default`. `UNKNOWN` while preview cannot know it; undefined for cluster-scoped kinds.
 */
export function namespaceOf(r: ResourceLike): string | Unknown | undefined {
  const kind = kindOf(r.type);
  if (CLUSTER_SCOPED.has(kind)) {
    return undefined;
  }
  const ns = str(r.props, "metadata", "namespace");
  if (ns !== undefined && ns !== "") {
    return ns;
  }
  if (r.provider) {
    const pns = str(r.provider.props, "namespace");
    if (pns !== undefined && pns !== "") {
      return pns;
    }
  }
  return "default";
}

/** `metadata.name`, falling back to the Pulumi name (auto-naming adds a suffix, so approximate). */
export function objectName(r: ResourceLike): string | Unknown {
  const n = str(r.props, "metadata", "name");
  return n === undefined || n === "" ? r.name : n;
}

/** A human reference to an object: `Kind namespace/name`. */
export function describe(r: ResourceLike): string {
  const ns = namespaceOf(r);
  const n = objectName(r);
  const show = (v: string | Unknown | undefined) => (v === UNKNOWN ? "<unknown>" : (v ?? ""));
  return `${kindOf(r.type) || r.type} ${ns === undefined ? "" : show(ns) + "/"}${show(n)}`;
}

/** Labels of an object (metadata.labels). */
export function labelsOf(r: ResourceLike): Record<string, string | Unknown> | Unknown {
  return stringMap(r.props, "metadata", "labels");
}

/** A namespace known to the evaluators: from a Namespace object in view, or inferred. */
export interface NamespaceInfo {
  /** Name. */
  name: string;
  /** Environment kind (label or name). */
  kind: EnvKind;
  /** Labels, including the API server's `kubernetes.io/metadata.name`. */
  labels: Record<string, string | Unknown>;
  /** The Namespace object when one is in view. */
  resource?: ResourceLike;
}

/** Namespaces declared by Namespace objects among `resources` (unknown names are skipped). */
export function namespacesInView(resources: readonly ResourceLike[]): Map<string, NamespaceInfo> {
  const out = new Map<string, NamespaceInfo>();
  for (const r of resources) {
    if (!isKind(r.type, "Namespace")) {
      continue;
    }
    const name = objectName(r);
    if (isUnknown(name)) {
      continue;
    }
    const l = labelsOf(r);
    const labels: Record<string, string | Unknown> = isUnknown(l) ? {} : { ...l };
    labels[LABEL.namespaceName] = name;
    out.set(name, { name, kind: namespaceKind(name, labels), labels, resource: r });
  }
  return out;
}

/** Kinds that carry a pod template, and where it is. */
const TEMPLATE_PATHS: Record<string, string[]> = {
  Deployment: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  Job: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
};

/** A pod template found in a workload (or a bare Pod). */
export interface PodTemplate {
  /** The workload. */
  owner: ResourceLike;
  /** Workload kind (`Deployment`, `CronJob`, `Pod` …). */
  kind: string;
  /** Workload namespace. */
  namespace: string | Unknown | undefined;
  /** Pod labels. */
  labels: Record<string, string | Unknown> | Unknown;
  /** The pod spec (engine proxy or plain). */
  spec: unknown;
  /** Path prefix of the pod spec inside the workload, for messages. */
  specPath: string;
}

/** True when the resource is a workload with a pod template (or a Pod). */
export function isWorkload(type: string): boolean {
  const k = kindOf(type);
  return k === "Pod" || k in TEMPLATE_PATHS;
}

/** The pod template of a workload, or undefined for other kinds. */
export function podTemplateOf(r: ResourceLike): PodTemplate | undefined {
  const kind = kindOf(r.type);
  let tmpl: unknown;
  let path: string[];
  if (kind === "Pod") {
    tmpl = r.props;
    path = [];
  } else if (kind in TEMPLATE_PATHS) {
    path = TEMPLATE_PATHS[kind];
    tmpl = at(r.props, ...path);
  } else {
    return undefined;
  }
  return {
    owner: r,
    kind,
    namespace: namespaceOf(r),
    labels: stringMap(tmpl, "metadata", "labels"),
    spec: at(tmpl, "spec"),
    specPath: [...path, "spec"].join("."),
  };
}

/** A container of a pod spec, with its index path for messages. */
export interface ContainerRef {
  /** Container name (or `#i`). */
  name: string;
  /** `containers` or `initContainers`. */
  list: "containers" | "initContainers";
  /** The container object (proxy or plain). */
  value: unknown;
}

/** Containers and init containers of a pod spec. `UNKNOWN` when the lists are unknown. */
export function containersOf(spec: unknown): ContainerRef[] | Unknown {
  const out: ContainerRef[] = [];
  for (const which of ["containers", "initContainers"] as const) {
    const cs = list(spec, which);
    if (isUnknown(cs)) {
      return UNKNOWN;
    }
    cs.forEach((c, i) => {
      const n = str(c, "name");
      out.push({ name: typeof n === "string" ? n : `#${i}`, list: which, value: c });
    });
  }
  return out;
}

/** Splits an image reference into repository, tag and digest. */
export function parseImage(image: string): { repository: string; tag?: string; digest?: string } {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > slash) {
    return { repository: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  }
  return { repository: rest, digest };
}

/** Label-key lookup that tolerates unknown label maps. */
export function label(labels: Record<string, string | Unknown> | Unknown, key: string): string | Unknown | undefined {
  return isUnknown(labels) ? UNKNOWN : labels[key];
}

/** Keys of an object, ignoring unknowns (treated as empty). */
export function knownKeys(obj: unknown, ...path: string[]): string[] {
  const k = keys(obj, ...path);
  return isUnknown(k) ? [] : k;
}

/**
 * Whether the program itself sets a workload's `spec.replicas`. With server-side apply the API
 * server fills in the default (1), so the value alone proves nothing: when the object carries
 * `managedFields`, only a Pulumi field manager owning `f:spec.f:replicas` counts. Without them
 * (inputs, mocks, client-side apply) the presence of the field is the answer.
 */
export function programSetsReplicas(w: ResourceLike): boolean | Unknown {
  const replicas = at(w.props, "spec", "replicas");
  if (replicas === undefined || replicas === null) return false;
  if (isUnknown(replicas)) return UNKNOWN;
  const managed = list(w.props, "metadata", "managedFields");
  if (isUnknown(managed)) return UNKNOWN;
  const pulumi = managed.filter((m) => {
    const manager = at(m, "manager");
    return typeof manager === "string" && manager.startsWith("pulumi");
  });
  if (pulumi.length === 0) return true;
  return pulumi.some((m) => {
    const owned = at(m, "fieldsV1", "f:spec", "f:replicas");
    return owned !== undefined && owned !== null;
  });
}
