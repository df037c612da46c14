/**
 * Who may do what: the RBAC rules of every role the program creates, as data, so the components,
 * the access table and the tests read one definition. Least privilege: explicit groups,
 * resources and verbs; no wildcards anywhere.
 */
import { PREVIEW_DEPLOYER, serviceAccountUser } from "../policy/conventions";

/** The API group of RBAC objects (roleRefs, User and Group subjects). */
export const RBAC_API_GROUP = "rbac.authorization.k8s.io";

/** An RBAC PolicyRule. */
export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** Verbs that read. */
export const READ_VERBS = ["get", "list", "watch"];
/** Verbs that change state. */
export const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"];
const MANAGE_VERBS = [...READ_VERBS, "create", "update", "patch", "delete"];

/** Names of the ClusterRoles and namespaced roles the program creates. */
export const ROLE_NAMES = {
  developerRead: "team-developer-read",
  featureDeveloper: "team-feature-developer",
  previewDeployer: "team-preview-deployer",
  previewDeployerSecrets: "team-preview-deployer-secrets",
  qaAdmin: "qa-admin",
  deployer: "ci-deployer",
  driftReader: "team-drift-reader",
} as const;


/** One kind of object, as RBAC names it. */
export interface ManagedResource {
  apiGroup: string;
  resource: string;
}

/**
 * Every kind of object an application stack (qa, staging, production) creates: the App, its
 * AppServices, HPAs, PDBs, Postgres, AlertRules and DataRefresh. The CI deployer's Role is
 * derived from this list, and a test checks it against the kinds in the real resource graph.
 */
export const APP_STACK_RESOURCES: readonly ManagedResource[] = [
  { apiGroup: "", resource: "configmaps" },
  { apiGroup: "", resource: "secrets" },
  { apiGroup: "", resource: "services" },
  { apiGroup: "apps", resource: "deployments" },
  { apiGroup: "apps", resource: "statefulsets" },
  { apiGroup: "batch", resource: "jobs" },
  { apiGroup: "batch", resource: "cronjobs" },
  { apiGroup: "networking.k8s.io", resource: "ingresses" },
  { apiGroup: "autoscaling", resource: "horizontalpodautoscalers" },
  { apiGroup: "policy", resource: "poddisruptionbudgets" },
  { apiGroup: "monitoring.coreos.com", resource: "prometheusrules" },
  { apiGroup: "traefik.io", resource: "ingressroutes" },
  { apiGroup: "traefik.io", resource: "middlewares" },
];

/**
 * Every kind of object the cluster stack creates in Kubernetes: the guardrails of qa, staging and
 * production, cluster-wide RBAC and admission, CI identities and `monitoring`'s objects.
 */
export const CLUSTER_STACK_RESOURCES: readonly ManagedResource[] = [
  { apiGroup: "", resource: "namespaces" },
  { apiGroup: "", resource: "resourcequotas" },
  { apiGroup: "", resource: "limitranges" },
  { apiGroup: "", resource: "serviceaccounts" },
  { apiGroup: "", resource: "configmaps" },
  { apiGroup: "", resource: "secrets" },
  { apiGroup: "networking.k8s.io", resource: "networkpolicies" },
  { apiGroup: RBAC_API_GROUP, resource: "roles" },
  { apiGroup: RBAC_API_GROUP, resource: "rolebindings" },
  { apiGroup: RBAC_API_GROUP, resource: "clusterroles" },
  { apiGroup: RBAC_API_GROUP, resource: "clusterrolebindings" },
  { apiGroup: "admissionregistration.k8s.io", resource: "validatingadmissionpolicies" },
  { apiGroup: "admissionregistration.k8s.io", resource: "validatingadmissionpolicybindings" },
];

/**
 * The drift check: read every kind a long-lived stack owns — except Secrets. A Secret read in a
 * locked namespace is its deployer's token (write) and the app's credentials, so the drift
 * identity, held in GitHub environments without reviewers, never gets one; drift.ts leaves
 * Secrets out of the refresh instead.
 */
export function driftReaderRules(): Rule[] {
  const seen = new Set<string>();
  const kinds = [...APP_STACK_RESOURCES, ...CLUSTER_STACK_RESOURCES].filter((k) => {
    const key = `${k.apiGroup}/${k.resource}`;
    if (k.resource === "secrets" || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return rulesFor(kinds, READ_VERBS);
}

/** What `pulumi up` must read to wait for rollouts (pods, ReplicaSets, events, endpoints). */
const AWAIT_READS: Rule[] = [
  { apiGroups: [""], resources: ["pods", "pods/log", "events", "endpoints", "persistentvolumeclaims"], verbs: READ_VERBS },
  { apiGroups: ["apps"], resources: ["replicasets", "controllerrevisions"], verbs: READ_VERBS },
  { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: READ_VERBS },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: READ_VERBS },
];

/** Groups managed resources into one rule per API group. */
export function rulesFor(resources: readonly ManagedResource[], verbs: string[]): Rule[] {
  const byGroup = new Map<string, string[]>();
  for (const r of resources) byGroup.set(r.apiGroup, [...(byGroup.get(r.apiGroup) ?? []), r.resource]);
  return [...byGroup.entries()].map(([group, res]) => ({ apiGroups: [group], resources: res, verbs: [...verbs] }));
}

/** The CI deployer of one environment: manage what the app stack manages, read what awaiting needs. */
export function deployerRules(): Rule[] {
  return [...rulesFor(APP_STACK_RESOURCES, MANAGE_VERBS), ...AWAIT_READS];
}

/** Developers everywhere: read workloads, pods, logs, events and config — never Secrets. */
export const DEVELOPER_READ_RULES: Rule[] = [
  {
    apiGroups: [""],
    resources: [
      "pods",
      "pods/log",
      "services",
      "endpoints",
      "configmaps",
      "events",
      "namespaces",
      "resourcequotas",
      "limitranges",
      "persistentvolumeclaims",
      "serviceaccounts",
    ],
    verbs: READ_VERBS,
  },
  { apiGroups: ["apps"], resources: ["deployments", "replicasets", "statefulsets"], verbs: READ_VERBS },
  { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: READ_VERBS },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses", "networkpolicies"], verbs: READ_VERBS },
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: READ_VERBS },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: READ_VERBS },
  { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: READ_VERBS },
  { apiGroups: ["monitoring.coreos.com"], resources: ["prometheusrules"], verbs: READ_VERBS },
  { apiGroups: ["traefik.io"], resources: ["ingressroutes", "middlewares"], verbs: READ_VERBS },
];

/** Developers in their own preview: what debugging needs, bound per feature namespace only. */
export const FEATURE_DEVELOPER_RULES: Rule[] = [
  { apiGroups: [""], resources: ["pods"], verbs: [...READ_VERBS, "delete"] },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  { apiGroups: [""], resources: ["pods/exec", "pods/portforward"], verbs: ["create"] },
  { apiGroups: [""], resources: ["configmaps", "services"], verbs: MANAGE_VERBS },
  { apiGroups: [""], resources: ["events"], verbs: READ_VERBS },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: [...READ_VERBS, "update", "patch"] },
  { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "update", "patch"] },
  { apiGroups: ["apps"], resources: ["replicasets"], verbs: READ_VERBS },
  { apiGroups: ["batch"], resources: ["jobs"], verbs: [...READ_VERBS, "create", "delete"] },
  { apiGroups: ["batch"], resources: ["cronjobs"], verbs: READ_VERBS },
];

/** QA in qa: administer the workloads and their data, not RBAC, quotas or network policy. */
export const QA_ADMIN_RULES: Rule[] = [
  {
    apiGroups: [""],
    resources: ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims"],
    verbs: [...MANAGE_VERBS, "deletecollection"],
  },
  { apiGroups: [""], resources: ["pods/log", "events"], verbs: READ_VERBS },
  { apiGroups: [""], resources: ["pods/exec", "pods/portforward"], verbs: ["create"] },
  {
    apiGroups: ["apps"],
    resources: ["deployments", "deployments/scale", "replicasets", "statefulsets"],
    verbs: [...MANAGE_VERBS, "deletecollection"],
  },
  { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: [...MANAGE_VERBS, "deletecollection"] },
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: MANAGE_VERBS },
];

/** Kinds the app stack creates that the preview deployer gets cluster-wide (everything but Secrets). */
const PREVIEW_CLUSTER_WIDE = APP_STACK_RESOURCES.filter((r) => !(r.apiGroup === "" && r.resource === "secrets"));

/**
 * The preview deployer creates whole feature environments: namespaces and their guardrails,
 * the app, and the developers' RoleBinding — which it may only bind to the feature-developer
 * ClusterRole or to its own Secrets role (`bind` restricted by resourceNames). It runs
 * pull-request code, so it never reads Secrets cluster-wide: each preview binds
 * {@link previewDeployerSecretRules} to it in that namespace only. RBAC cannot restrict it to
 * feature-pr-* namespaces; admission does (policy/analysis/fences.ts, shipped by ClusterAccess).
 */
export function previewDeployerRules(): Rule[] {
  return [
    { apiGroups: [""], resources: ["namespaces"], verbs: MANAGE_VERBS },
    ...rulesFor(
      [
        ...PREVIEW_CLUSTER_WIDE,
        { apiGroup: "", resource: "resourcequotas" },
        { apiGroup: "", resource: "limitranges" },
        { apiGroup: "networking.k8s.io", resource: "networkpolicies" },
        { apiGroup: RBAC_API_GROUP, resource: "rolebindings" },
      ],
      MANAGE_VERBS,
    ),
    {
      apiGroups: [RBAC_API_GROUP],
      resources: ["clusterroles"],
      verbs: ["bind"],
      resourceNames: [ROLE_NAMES.featureDeveloper, ROLE_NAMES.previewDeployerSecrets],
    },
    ...AWAIT_READS,
  ];
}

/** The preview deployer's Secrets, granted by a RoleBinding in each preview namespace only. */
export function previewDeployerSecretRules(): Rule[] {
  return [{ apiGroups: [""], resources: ["secrets"], verbs: [...MANAGE_VERBS] }];
}

/** The preview deployer's user name, as the API server authenticates it and as the fence matches it. */
export const PREVIEW_DEPLOYER_USER = serviceAccountUser(PREVIEW_DEPLOYER);

/**
 * The Kubernetes user a GitHub Actions job's OIDC token maps to: `github:<owner/repo>:<environment>`.
 * The API server's authentication config makes it (`claimMappings.username`, see docs/ci-cd.md and
 * scripts/cluster.sh) and rejects tokens without an `environment` claim, which GitHub issues only
 * to jobs that ran in an environment, after its reviewers and deployment-branch rules.
 */
export function ciOidcUser(repository: string, environment: string): string {
  return `github:${repository}:${environment}`;
}

/** The claim mapping the API server must use for {@link ciOidcUser} (a CEL expression). */
export const CI_OIDC_USERNAME_EXPRESSION = "'github:' + claims.repository + ':' + claims.environment";
