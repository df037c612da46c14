/**
 * The conventions the program, the policy pack and the CI scripts share: labels, environment
 * kinds, locked namespaces, the catalogue's ports, the preview stack name, default groups and CI
 * identities, the platform's pods, and where staging and production may differ.
 *
 * Each fact is written here once. It lives in the pack because the pack must stay publishable on
 * its own; the program (`index.ts`, `components/`) and `scripts/` import it from here.
 * `docs/conventions.md` is generated from this file (`npm run docs`; a test keeps it in step).
 */

/** Label keys. */
export const LABEL = {
  /** The environment (= namespace) an object belongs to. */
  environment: "team-environments.dev/environment",
  /** On namespaces: the environment kind (`NAMESPACE_KINDS`). */
  kind: "team-environments.dev/kind",
  /** Put on every namespace by the API server; NetworkPolicies select namespaces by it. */
  namespaceName: "kubernetes.io/metadata.name",
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  component: "app.kubernetes.io/component",
  partOf: "app.kubernetes.io/part-of",
  managedBy: "app.kubernetes.io/managed-by",
  version: "app.kubernetes.io/version",
  /** Pod Security Admission, on namespaces. */
  podSecurityEnforce: "pod-security.kubernetes.io/enforce",
  podSecurityEnforceVersion: "pod-security.kubernetes.io/enforce-version",
  podSecurityAudit: "pod-security.kubernetes.io/audit",
  podSecurityWarn: "pod-security.kubernetes.io/warn",
} as const;

/** Value of `app.kubernetes.io/managed-by` on everything the program creates. */
export const MANAGED_BY = "pulumi";
/** Default of the `appName` config key (`app.kubernetes.io/part-of`). */
export const DEFAULT_APP_NAME = "myapp";

/** The `app.kubernetes.io/component` values the program uses. */
export const COMPONENTS = ["web", "api", "database", "migrations", "data-refresh"] as const;
/** One of `COMPONENTS`. */
export type Component = (typeof COMPONENTS)[number];

/** Labels on every object: who manages it, which application and environment it belongs to. */
export function baseLabels(appName: string, environment: string): Record<string, string> {
  return {
    [LABEL.managedBy]: MANAGED_BY,
    [LABEL.partOf]: appName,
    [LABEL.environment]: environment,
  };
}

/** The stable pair that selects one workload's pods: never add a label here that can change. */
export function selectorLabels(name: string, environment: string): Record<string, string> {
  return {
    [LABEL.name]: name,
    [LABEL.instance]: `${name}-${environment}`,
  };
}

/** Full recommended labels of a workload (objects and pod templates); `version` is the image tag. */
export function workloadLabels(args: {
  appName: string;
  environment: string;
  name: string;
  component: Component;
  version?: string;
}): Record<string, string> {
  return {
    ...baseLabels(args.appName, args.environment),
    ...selectorLabels(args.name, args.environment),
    [LABEL.component]: args.component,
    ...(args.version === undefined ? {} : { [LABEL.version]: args.version }),
  };
}

/** Kinds that run the application (every stack kind but `cluster`). */
export const APP_KINDS = ["feature", "qa", "staging", "production"] as const;
/** One of `APP_KINDS`. */
export type AppKind = (typeof APP_KINDS)[number];
/** Stack kinds. `cluster` is the stack that owns cluster-scoped objects and guardrails. */
export const ENVIRONMENT_KINDS = [...APP_KINDS, "cluster"] as const;
/** One of `ENVIRONMENT_KINDS`. */
export type EnvironmentKind = (typeof ENVIRONMENT_KINDS)[number];
/** Values of the `team-environments.dev/kind` namespace label. */
export const NAMESPACE_KINDS = [...APP_KINDS, "monitoring"] as const;
/** One of `NAMESPACE_KINDS`. */
export type NamespaceKind = (typeof NAMESPACE_KINDS)[number];
/** The stack that owns cluster-scoped objects and every long-lived environment's guardrails. */
export const CLUSTER_STACK = "cluster";
/** Namespaces in which no developer may write, by any path. */
export const LOCKED_ENVIRONMENTS = ["staging", "production"] as const;
/** The long-lived application environments whose guardrails the cluster stack owns. */
export const LONG_LIVED_ENVIRONMENTS = ["qa", "staging", "production"] as const;
/** The monitoring namespace (Prometheus scrapes every environment from here). */
export const MONITORING_NAMESPACE = "monitoring";
/** Pod Security Admission level a namespace of each kind enforces (monitoring's node agents need baseline). */
export const POD_SECURITY_OF_KIND: Record<NamespaceKind, "restricted" | "baseline"> = {
  feature: "restricted",
  qa: "restricted",
  staging: "restricted",
  production: "restricted",
  monitoring: "baseline",
};

/**
 * The labels of an environment's namespace, exactly as the program writes them: the program's
 * EnvironmentNamespace and the pack's network evaluator (for namespaces not in view) both use
 * this, so a namespaceSelector is judged against the labels Kubernetes will really see. The API
 * server adds `kubernetes.io/metadata.name` itself.
 */
export function namespaceLabels(appName: string, environment: string, kind: NamespaceKind): Record<string, string> {
  return {
    ...baseLabels(appName, environment),
    [LABEL.kind]: kind,
    [LABEL.podSecurityEnforce]: POD_SECURITY_OF_KIND[kind],
    [LABEL.podSecurityEnforceVersion]: "latest",
    [LABEL.podSecurityAudit]: "restricted",
    [LABEL.podSecurityWarn]: "restricted",
  };
}
/** The namespace of the CI identities that are not tied to one environment. */
export const CI_NAMESPACE = "team-ci";

/** Prefix of a preview's stack and namespace name. */
export const FEATURE_STACK_PREFIX = "feature-pr-";
/** A preview's name (stack and namespace) as a regular-expression source: `feature-pr-<PR number>`. */
export const FEATURE_ENVIRONMENT_PATTERN = `${FEATURE_STACK_PREFIX}[1-9][0-9]{0,8}`;
/** The same, anchored, capturing the pull-request number. */
export const FEATURE_STACK = new RegExp(`^${FEATURE_STACK_PREFIX}([1-9][0-9]{0,8})$`);

/** Whether a stack or namespace name is a preview's. */
export function isFeatureEnvironment(name: string): boolean {
  return FEATURE_STACK.test(name);
}

/** The stack (and namespace) name of a pull request's preview: the one derivation everything uses. */
export function featureStackName(pullRequest: number): string {
  if (!Number.isSafeInteger(pullRequest) || pullRequest < 1 || pullRequest > 999_999_999) {
    throw new RangeError(`pull request number must be an integer from 1 to 999999999, got ${String(pullRequest)}`);
  }
  return `${FEATURE_STACK_PREFIX}${pullRequest}`;
}

/** One workload every environment runs, as the network sees it. */
export interface CatalogueEntry {
  /** Deployment, Service and image name (`app.kubernetes.io/name`). */
  name: string;
  /** `app.kubernetes.io/component`. */
  component: Extract<Component, "web" | "api" | "database">;
  /** The container port. */
  port: number;
}

/** The application's services (the seeds' four) with the port each container serves on. */
export const SERVICES: readonly CatalogueEntry[] = [
  { name: "pwa", component: "web", port: 8080 },
  { name: "api-gateway", component: "api", port: 8080 },
  { name: "core-api", component: "api", port: 8080 },
  { name: "auth", component: "api", port: 8080 },
];
/** Every environment's Postgres. */
export const DATABASE: CatalogueEntry = { name: "postgres", component: "database", port: 5432 };
/** The staging data refresh's workload name. */
export const DATA_REFRESH_WORKLOAD = "data-refresh";
/** The Secret the data refresh reads its source and target from (envFrom; written by a secret manager). */
export const DATA_REFRESH_SECRET = "data-refresh-secrets";

/**
 * The Secret a service takes its env from in qa, staging and production, unless the stack's
 * `secretRefs` names another: a secret manager writes it before the deploy (the pods wait for it).
 */
export function serviceSecretName(service: string, secretRefs: Record<string, string> = {}): string {
  return secretRefs[service] ?? `${service}-secrets`;
}

/** Default subjects of the config keys `developerGroups` and `qaGroups`. */
export const DEFAULT_GROUPS = { developers: ["developers"], qa: ["qa-engineers"] } as const;

/** A ServiceAccount CI authenticates as. */
export interface ServiceAccountRef {
  namespace: string;
  serviceAccount: string;
}

/** The CI deployer's ServiceAccount name, in each namespace it deploys (qa, staging, production). */
export const DEPLOYER_SERVICE_ACCOUNT = "ci-deployer";
/** The preview deployer's identity (cluster stack): deploys every `feature-pr-<N>`. */
export const PREVIEW_DEPLOYER: ServiceAccountRef = { namespace: CI_NAMESPACE, serviceAccount: "preview-deployer" };
/** The nightly drift check's identity (cluster stack): reads what the long-lived stacks own, never a Secret. */
export const DRIFT_READER: ServiceAccountRef = { namespace: CI_NAMESPACE, serviceAccount: "drift-reader" };

/** The Kubernetes user name of a ServiceAccount. */
export function serviceAccountUser(sa: ServiceAccountRef): string {
  return `system:serviceaccount:${sa.namespace}:${sa.serviceAccount}`;
}

/** Pods of the platform that environments' network policies admit. */
export const PLATFORM_PODS = {
  /** Prometheus scrapes every environment. */
  prometheus: { namespace: MONITORING_NAMESPACE, labels: { [LABEL.name]: "prometheus" } },
  /** The ingress controller (k3s ships Traefik). */
  ingress: { namespace: "kube-system", labels: { [LABEL.name]: "traefik" } },
  /** Cluster DNS, on port 53 over UDP and TCP. */
  dns: { namespace: "kube-system", labels: { "k8s-app": "kube-dns" }, port: 53 },
} as const;

/** A NetworkPolicy peer that selects one of the platform's pods. */
export function platformPeer(pods: { namespace: string; labels: Readonly<Record<string, string>> }): {
  namespaceSelector: { matchLabels: Record<string, string> };
  podSelector: { matchLabels: Record<string, string> };
} {
  return { namespaceSelector: { matchLabels: { [LABEL.namespaceName]: pods.namespace } }, podSelector: { matchLabels: { ...pods.labels } } };
}

/**
 * What the parity rule lets differ between staging and production, as globs over
 * `Kind/name:path`: staging's data refresh and the autoscaling bounds stack config may set. The
 * config keys each may set are the key table's (config/keys.ts: KEYS).
 */
export const PARITY_OBJECT_DELTAS: readonly string[] = [
  "CronJob/data-refresh:",
  "NetworkPolicy/allow-data-refresh-egress:",
  "HorizontalPodAutoscaler/*:minReplicas",
  "HorizontalPodAutoscaler/*:maxReplicas",
];
