/**
 * RBAC evaluator: who can write in the locked namespaces, by any path through the Roles,
 * ClusterRoles, RoleBindings and ClusterRoleBindings in view.
 *
 * Beyond a per-binding look (rbac-tool's who-can) it resolves ClusterRole aggregation from the
 * labelled roles in view (built-in `admin`/`edit`/`view` included), applies the real matching rules
 * for wildcards, subresources and `resourceNames` (a named rule never authorises `create` or
 * `deletecollection` of a top-level resource), and closes over ServiceAccounts: a ServiceAccount
 * in a namespace where developers can run pods, impersonate, or read the Secrets that hold tokens
 * is a developer too. Identities that run pull-request code (`pullRequestUsers`) are developers.
 * Admission fences of the program's exact shape (fences.ts) remove what admission would deny
 * (writes, bind, exec, tokens outside the fence), never reads or impersonation.
 */
import { DEFAULT_GROUPS, LOCKED_ENVIRONMENTS, PREVIEW_DEPLOYER, serviceAccountUser } from "../conventions";
import { Fence, fenceAdmits } from "./fences";
import { Selector, matches, readSelector } from "./selectors";
import { ResourceLike, describe, isKind, labelsOf, namespaceOf, objectName } from "./objects";
import { UNKNOWN, Unknown, isUnknown, list, str } from "./values";

/** One PolicyRule of a Role or ClusterRole. */
export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

/** A Role or ClusterRole, from view or built in. */
export interface RoleDef {
  kind: "Role" | "ClusterRole";
  name: string;
  namespace?: string | Unknown;
  rules: Rule[];
  labels: Record<string, string>;
  aggregation?: Selector[];
  /** URN of the resource, or "built-in". */
  source: string;
  /** Part of the role is unknown at preview. */
  unknown: boolean;
}

/** A binding subject. */
export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

/** A RoleBinding or ClusterRoleBinding. */
export interface BindingDef {
  kind: "RoleBinding" | "ClusterRoleBinding";
  name: string | Unknown;
  namespace?: string | Unknown;
  roleRef: { kind: string; name: string } | Unknown;
  subjects: Subject[];
  /** Some subject is unknown at preview. */
  unknownSubjects: boolean;
  urn: string;
  describe: string;
}

/** Everything the evaluator reads. */
export interface RbacModel {
  roles: RoleDef[];
  bindings: BindingDef[];
}

/** Options of an evaluation (the policy config). */
export interface RbacOptions {
  /** Groups whose members are developers. Default ["developers"]. */
  developerGroups?: string[];
  /** Users who are developers. Default []. */
  developerUsers?: string[];
  /** Groups that contain developers whatever the config says. */
  broadGroups?: string[];
  /** Namespaces nobody but CI may write. Default ["staging", "production"]. */
  lockedNamespaces?: string[];
  /** Users that run pull-request code (a developer controls them). Default: the preview deployer. */
  pullRequestUsers?: string[];
  /** Admission fences in view (policy/analysis/fences.ts: readFences); honoured exactly. */
  fences?: Fence[];
}

/** Defaults of {@link RbacOptions}. */
export const RBAC_DEFAULTS = {
  developerGroups: [...DEFAULT_GROUPS.developers] as string[],
  developerUsers: [] as string[],
  broadGroups: ["system:authenticated", "system:unauthenticated", "system:serviceaccounts"],
  lockedNamespaces: [...LOCKED_ENVIRONMENTS] as string[],
  pullRequestUsers: [serviceAccountUser(PREVIEW_DEPLOYER)],
  fences: [] as Fence[],
};

/** A path by which a developer subject gets a forbidden capability. */
export interface AccessFinding {
  /** `Group:developers`, `ServiceAccount:feature-pr-1/default` … */
  subject: string;
  /** Why the subject counts as a developer. */
  why: string;
  /** Namespace the grant applies in (`*` for cluster-wide, `<unknown>` at preview). */
  namespace: string;
  /** What it allows, in words. */
  capability: string;
  /** The binding → role chain. */
  via: string;
  /** URN to attach the finding to (the binding). */
  urn: string;
}

/** A gap in what the evaluator can see. */
export interface Visibility {
  message: string;
  urn?: string;
}

/** Result of an evaluation. */
export interface RbacVerdict {
  findings: AccessFinding[];
  warnings: Visibility[];
}

const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"];
/** Creates that only ask a question; harmless anywhere. */
const REVIEW_RESOURCES = new Set([
  "selfsubjectaccessreviews",
  "selfsubjectrulesreviews",
  "selfsubjectreviews",
  "subjectaccessreviews",
  "localsubjectaccessreviews",
  "tokenreviews",
]);
/** Resources that create pods (or run code as a ServiceAccount) in their namespace. */
const POD_CREATORS = [
  "pods",
  "deployments",
  "replicasets",
  "statefulsets",
  "daemonsets",
  "jobs",
  "cronjobs",
  "replicationcontrollers",
];

const AGG = "rbac.authorization.k8s.io/aggregate-to-";
function agg(to: string): Selector[] {
  return [{ matchLabels: { [AGG + to]: "true" }, matchExpressions: [], unknown: false }];
}
function r(apiGroups: string[], resources: string[], verbs: string[]): Rule {
  return { apiGroups, resources, verbs, resourceNames: [], nonResourceURLs: [] };
}
const EDIT_W = ["create", "delete", "deletecollection", "patch", "update"];
const READ = ["get", "list", "watch"];

/**
 * The built-in roles that bindings may name without defining, reduced to what matters here
 * (from the API server's bootstrap policy). Roles in view with the same name replace them.
 */
export const BUILTIN_CLUSTER_ROLES: RoleDef[] = [
  {
    kind: "ClusterRole",
    name: "cluster-admin",
    rules: [r(["*"], ["*"], ["*"]), { ...r([], [], ["*"]), nonResourceURLs: ["*"] }],
    labels: {},
    source: "built-in",
    unknown: false,
  },
  { kind: "ClusterRole", name: "admin", rules: [], labels: {}, aggregation: agg("admin"), source: "built-in", unknown: false },
  {
    kind: "ClusterRole",
    name: "edit",
    rules: [],
    labels: { [AGG + "admin"]: "true" },
    aggregation: agg("edit"),
    source: "built-in",
    unknown: false,
  },
  {
    kind: "ClusterRole",
    name: "view",
    rules: [],
    labels: { [AGG + "edit"]: "true" },
    aggregation: agg("view"),
    source: "built-in",
    unknown: false,
  },
  {
    kind: "ClusterRole",
    name: "system:aggregate-to-admin",
    rules: [
      r(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
      r(["rbac.authorization.k8s.io"], ["rolebindings", "roles"], [...EDIT_W, ...READ]),
    ],
    labels: { [AGG + "admin"]: "true" },
    source: "built-in",
    unknown: false,
  },
  {
    kind: "ClusterRole",
    name: "system:aggregate-to-edit",
    rules: [
      r([""], ["pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"], [...READ]),
      r([""], ["serviceaccounts"], ["impersonate"]),
      r(
        [""],
        ["pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "persistentvolumeclaims",
          "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services",
          "services/proxy", "configmaps", "endpoints"],
        EDIT_W,
      ),
      r([""], ["serviceaccounts/token"], ["create"]),
      r(
        ["apps"],
        ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
          "replicasets/scale", "statefulsets", "statefulsets/scale"],
        EDIT_W,
      ),
      r(["autoscaling"], ["horizontalpodautoscalers"], EDIT_W),
      r(["batch"], ["cronjobs", "jobs"], EDIT_W),
      r(["networking.k8s.io"], ["ingresses", "networkpolicies"], EDIT_W),
      r(["policy"], ["poddisruptionbudgets"], EDIT_W),
    ],
    labels: { [AGG + "edit"]: "true" },
    source: "built-in",
    unknown: false,
  },
  {
    kind: "ClusterRole",
    name: "system:aggregate-to-view",
    rules: [
      r([""], ["pods", "services", "configmaps", "endpoints", "persistentvolumeclaims", "events", "serviceaccounts"], READ),
      r(["apps", "batch", "autoscaling", "policy", "networking.k8s.io"], ["*"], READ),
    ],
    labels: { [AGG + "view"]: "true" },
    source: "built-in",
    unknown: false,
  },
];

function strings(obj: unknown, key: string): { values: string[]; unknown: boolean } {
  const l = list(obj, key);
  if (isUnknown(l)) return { values: [], unknown: true };
  const values: string[] = [];
  let unknown = false;
  for (const v of l) {
    if (typeof v === "string") values.push(v);
    else if (isUnknown(v)) unknown = true;
  }
  return { values, unknown };
}

/** Reads the RBAC objects among `resources` (first occurrence of a URN wins). */
export function readRbac(resources: readonly ResourceLike[]): RbacModel {
  const model: RbacModel = { roles: [], bindings: [] };
  const seen = new Set<string>();
  for (const res of resources) {
    const isRole = isKind(res.type, "Role") || isKind(res.type, "ClusterRole");
    const isBinding = isKind(res.type, "RoleBinding") || isKind(res.type, "ClusterRoleBinding");
    if ((!isRole && !isBinding) || seen.has(res.urn) || !res.type.includes("rbac.authorization.k8s.io")) {
      continue;
    }
    seen.add(res.urn);
    const cluster = res.type.includes(":Cluster");
    if (isRole) {
      let unknown = false;
      const rules: Rule[] = [];
      const rl = list(res.props, "rules");
      if (isUnknown(rl)) unknown = true;
      else {
        for (const rule of rl) {
          const parts = ["apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"].map((k) => strings(rule, k));
          if (parts.some((p) => p.unknown)) unknown = true;
          rules.push({
            apiGroups: parts[0].values,
            resources: parts[1].values,
            verbs: parts[2].values,
            resourceNames: parts[3].values,
            nonResourceURLs: parts[4].values,
          });
        }
      }
      let aggregation: Selector[] | undefined;
      const sels = list(res.props, "aggregationRule", "clusterRoleSelectors");
      if (cluster && isUnknown(sels)) {
        unknown = true;
      } else if (cluster && !isUnknown(sels) && sels.length > 0) {
        aggregation = sels.map((s) => readSelector(s));
      }
      const name = objectName(res);
      const l = labelsOf(res);
      const labels: Record<string, string> = {};
      if (!isUnknown(l)) for (const [k, v] of Object.entries(l)) if (typeof v === "string") labels[k] = v;
      model.roles.push({
        kind: cluster ? "ClusterRole" : "Role",
        name: isUnknown(name) ? `<unknown ${res.name}>` : name,
        namespace: cluster ? undefined : namespaceOf(res),
        rules,
        labels,
        aggregation,
        source: res.urn,
        unknown: unknown || isUnknown(name),
      });
    } else {
      const kind = str(res.props, "roleRef", "kind");
      const name = str(res.props, "roleRef", "name");
      const roleRef =
        isUnknown(kind) || isUnknown(name) ? UNKNOWN : { kind: kind ?? "ClusterRole", name: name ?? "" };
      const subjects: Subject[] = [];
      let unknownSubjects = false;
      const sl = list(res.props, "subjects");
      if (isUnknown(sl)) unknownSubjects = true;
      else {
        for (const s of sl) {
          const k = str(s, "kind");
          const n = str(s, "name");
          const ns = str(s, "namespace");
          if (isUnknown(k) || isUnknown(n) || isUnknown(ns)) {
            unknownSubjects = true;
            continue;
          }
          subjects.push({ kind: k ?? "", name: n ?? "", namespace: ns });
        }
      }
      model.bindings.push({
        kind: cluster ? "ClusterRoleBinding" : "RoleBinding",
        name: objectName(res),
        namespace: cluster ? undefined : namespaceOf(res),
        roleRef,
        subjects,
        unknownSubjects,
        urn: res.urn,
        describe: describe(res),
      });
    }
  }
  return model;
}

/** Matching of one verb/resource/group against a rule, as the RBAC authorizer does it. */
function has(list: string[], v: string): boolean {
  return list.includes("*") || list.includes(v);
}
function resourceMatches(ruleResources: string[], resource: string): boolean {
  if (ruleResources.includes("*") || ruleResources.includes(resource)) return true;
  const slash = resource.indexOf("/");
  if (slash < 0) return false;
  const main = resource.slice(0, slash);
  const sub = resource.slice(slash + 1);
  return ruleResources.includes(`${main}/*`) || ruleResources.includes(`*/${sub}`);
}

/** Does `rule` allow `verb` on `group`/`resource` (optionally a named object)? */
export function ruleAllows(rule: Rule, verb: string, group: string, resource: string, name?: string): boolean {
  if (!has(rule.verbs, verb) || !has(rule.apiGroups, group) || !resourceMatches(rule.resources, resource)) {
    return false;
  }
  if (rule.resourceNames.length === 0) return true;
  return name !== undefined && rule.resourceNames.includes(name);
}

/** Resolves roles by reference, with aggregation and the built-ins. */
export class RoleIndex {
  private readonly clusterRoles = new Map<string, RoleDef>();
  private readonly roles = new Map<string, RoleDef>();
  private readonly resolved = new Map<RoleDef, { rules: Rule[]; unknown: boolean }>();
  /** Aggregated roles whose sources could not be seen. */
  readonly warnings: Visibility[] = [];

  constructor(model: RbacModel) {
    for (const b of BUILTIN_CLUSTER_ROLES) this.clusterRoles.set(b.name, b);
    for (const role of model.roles) {
      if (role.kind === "ClusterRole") this.clusterRoles.set(role.name, role);
      else if (typeof role.namespace === "string") this.roles.set(`${role.namespace}/${role.name}`, role);
    }
  }

  /** The role a binding names (undefined when not in view). */
  find(ref: { kind: string; name: string }, namespace: string | Unknown | undefined): RoleDef | undefined {
    if (ref.kind === "ClusterRole") return this.clusterRoles.get(ref.name);
    if (typeof namespace !== "string") return undefined;
    return this.roles.get(`${namespace}/${ref.name}`);
  }

  /** Effective rules of a role, aggregation resolved (cycles cut). */
  rulesOf(role: RoleDef, visiting = new Set<RoleDef>()): { rules: Rule[]; unknown: boolean } {
    const done = this.resolved.get(role);
    if (done) return done;
    if (!role.aggregation) {
      const out = { rules: role.rules, unknown: role.unknown };
      this.resolved.set(role, out);
      return out;
    }
    visiting.add(role);
    const rules: Rule[] = [...role.rules];
    let unknown = role.unknown;
    let sources = 0;
    for (const other of this.clusterRoles.values()) {
      if (other === role || visiting.has(other)) continue;
      if (role.aggregation.some((s) => matches(s, other.labels, s.unknown))) {
        const sub = this.rulesOf(other, visiting);
        rules.push(...sub.rules);
        unknown = unknown || sub.unknown;
        if (other.source !== "built-in") sources++;
        else if (other.rules.length > 0 || other.aggregation) sources++;
      }
    }
    visiting.delete(role);
    if (sources === 0 && role.source !== "built-in") {
      this.warnings.push({
        message:
          `ClusterRole ${role.name} aggregates roles matching its clusterRoleSelectors but none is in view; ` +
          "its permissions are taken as empty. Pass the stack that defines them (--cluster) for a full verdict.",
        urn: role.source,
      });
    }
    const out = { rules, unknown };
    this.resolved.set(role, out);
    return out;
  }
}

interface Grant {
  binding: BindingDef;
  role?: RoleDef;
  rules: Rule[];
  unknownRole: boolean;
  scope: string | Unknown; // namespace or "*"
}

function grantsOf(model: RbacModel, index: RoleIndex): Grant[] {
  const out: Grant[] = [];
  for (const b of model.bindings) {
    const scope: string | Unknown = b.kind === "ClusterRoleBinding" ? "*" : (b.namespace ?? "default");
    if (isUnknown(b.roleRef)) {
      out.push({ binding: b, rules: [], unknownRole: true, scope });
      continue;
    }
    // A ClusterRoleBinding can only reference a ClusterRole; the API server rejects anything else.
    if (b.kind === "ClusterRoleBinding" && b.roleRef.kind !== "ClusterRole") continue;
    const role = index.find(b.roleRef, b.namespace);
    if (!role) {
      out.push({ binding: b, rules: [], unknownRole: true, scope });
      continue;
    }
    const eff = index.rulesOf(role);
    out.push({ binding: b, role, rules: eff.rules, unknownRole: eff.unknown, scope });
  }
  return out;
}

function subjectKey(s: Subject, bindingNs: string | Unknown | undefined): string {
  if (s.kind === "ServiceAccount") {
    const ns = s.namespace ?? (typeof bindingNs === "string" ? bindingNs : "<unknown>");
    return `ServiceAccount:${ns}/${s.name}`;
  }
  return `${s.kind}:${s.name}`;
}

/** Decides which subjects are developers, closing over ServiceAccounts developers control. */
class Developers {
  readonly reasons = new Map<string, string>();
  /** Namespaces where developers can run pods (any ServiceAccount there is a developer). */
  readonly controlled = new Map<string, string>();
  /** Namespace-name patterns where developers can run pods (a fenced identity's reach). */
  readonly controlledPatterns: { pattern: RegExp; reason: string }[] = [];
  constructor(opts: Required<RbacOptions>) {
    for (const g of opts.developerGroups) this.reasons.set(`Group:${g}`, "configured developer group");
    for (const u of opts.developerUsers) this.reasons.set(`User:${u}`, "configured developer user");
    for (const u of opts.pullRequestUsers) this.reasons.set(`User:${u}`, "runs pull-request code (pullRequestUsers)");
    // A ServiceAccount user is always in its namespace's group: a grant to that group is its grant.
    for (const [u, why] of [
      ...opts.developerUsers.map((u) => [u, "configured developer user"]),
      ...opts.pullRequestUsers.map((u) => [u, "runs pull-request code (pullRequestUsers)"]),
    ]) {
      const m = /^system:serviceaccount:([^:]+):[^:]+$/.exec(u);
      if (m && !this.reasons.has(`Group:system:serviceaccounts:${m[1]}`)) this.reasons.set(`Group:system:serviceaccounts:${m[1]}`, `holds ${u}, which ${why}`);
    }
    for (const g of opts.broadGroups) this.reasons.set(`Group:${g}`, "group every developer is in");
  }
  why(s: Subject, bindingNs: string | Unknown | undefined): string | undefined {
    const key = subjectKey(s, bindingNs);
    const direct = this.reasons.get(key);
    if (direct) return direct;
    if (s.kind === "ServiceAccount") {
      // The API server authenticates a ServiceAccount as this user name.
      const [ns, name] = key.slice("ServiceAccount:".length).split("/");
      const asUser = this.reasons.get(`User:system:serviceaccount:${ns}:${name}`);
      if (asUser) return asUser;
    }
    let saNs: string | undefined;
    if (s.kind === "ServiceAccount") saNs = key.slice("ServiceAccount:".length).split("/")[0];
    else if (s.kind === "User" && s.name.startsWith("system:serviceaccount:")) saNs = s.name.split(":")[2];
    else if (s.kind === "Group" && s.name.startsWith("system:serviceaccounts:")) saNs = s.name.split(":")[2];
    if (saNs === undefined) return undefined;
    const c = this.controlled.get("*") ?? this.controlled.get(saNs) ?? this.controlledPatterns.find((p) => p.pattern.test(saNs))?.reason;
    return c ? `ServiceAccount in ${saNs}, where ${c}` : undefined;
  }
}

function fmtRule(rule: Rule, verbs: string[]): string {
  const groups = rule.apiGroups.map((g) => (g === "" ? "core" : g)).join(",");
  const names = rule.resourceNames.length ? ` named ${rule.resourceNames.join(",")}` : "";
  return `${verbs.join(",")} on ${rule.resources.join(",")} (${groups})${names}`;
}

const CLUSTER_SCOPED_WRITE_RISK = new Set([
  "clusterroles",
  "clusterrolebindings",
  "customresourcedefinitions",
  "mutatingwebhookconfigurations",
  "validatingwebhookconfigurations",
  "validatingadmissionpolicies",
  "validatingadmissionpolicybindings",
  "apiservices",
  "nodes",
  "persistentvolumes",
  "storageclasses",
  "priorityclasses",
  "runtimeclasses",
  "csidrivers",
  "ingressclasses",
]);
const CLUSTER_SCOPED_HARMLESS = new Set(["certificatesigningrequests", "componentstatuses", "csinodes", "volumeattachments"]);

/**
 * What `rule`, granted in `scope`, lets a subject do to the locked namespaces; empty when
 * nothing. `scope` is a namespace, "*" (ClusterRoleBinding) or UNKNOWN.
 */
export function dangerousCapabilities(rule: Rule, scope: string | Unknown, locked: string[]): string[] {
  if (rule.resources.length === 0) return [];
  const out: string[] = [];
  const named = rule.resourceNames.length > 0;
  const writes = WRITE_VERBS.filter((v) => has(rule.verbs, v));
  const clusterWide = scope === "*";
  // Writes: every resource of the rule that is namespaced (or unknown, so assumed namespaced) is
  // writable in the locked namespace(s) the grant reaches.
  const hits: string[] = [];
  const hitVerbs = new Set<string>();
  for (const res of rule.resources) {
    if (REVIEW_RESOURCES.has(res)) continue;
    const sub = res.includes("/") || res === "*";
    let verbs = writes;
    // A rule with resourceNames never matches create/deletecollection of a top-level resource:
    // the request carries no name at authorization time.
    if (named && !sub) verbs = verbs.filter((v) => v !== "create" && v !== "deletecollection");
    if (res === "namespaces") {
      // The namespace object itself: its request carries its own name as namespace, so a
      // RoleBinding in `production` can delete `production`. Creating other namespaces is fine.
      verbs = verbs.filter((v) => v !== "create");
      const targets = clusterWide ? locked : isUnknown(scope) ? locked : locked.filter((l) => l === scope);
      const reach = named ? targets.filter((t) => rule.resourceNames.includes(t)) : targets;
      if (reach.length === 0) verbs = [];
    } else if (CLUSTER_SCOPED_HARMLESS.has(res)) {
      verbs = [];
    } else if (CLUSTER_SCOPED_WRITE_RISK.has(res) && !clusterWide) {
      // Cluster-scoped objects cannot be granted through a RoleBinding.
      verbs = [];
    }
    if (verbs.length > 0) {
      hits.push(res);
      verbs.forEach((v) => hitVerbs.add(v));
    }
  }
  if (hits.length > 0) {
    out.push(`write: ${fmtRule({ ...rule, resources: hits }, [...hitVerbs])}`);
  }
  // Reading a locked namespace's Secrets is reading its credentials (and its deployer's token).
  const secretReads = READ.filter((v) => has(rule.verbs, v));
  if (secretReads.length > 0 && has(rule.apiGroups, "") && resourceMatches(rule.resources, "secrets")) {
    out.push(`read: ${fmtRule({ ...rule, resources: ["secrets"] }, secretReads)}`);
  }
  const rbacGroup = "rbac.authorization.k8s.io";
  for (const verb of ["bind", "escalate"]) {
    if (["roles", "clusterroles"].some((res) => ruleAllowsAnyName(rule, verb, rbacGroup, res))) {
      out.push(`${verb}: ${fmtRule(rule, [verb])}`);
    }
  }
  const imp = [
    ["", "users"],
    ["", "groups"],
    ["", "serviceaccounts"],
    ["authentication.k8s.io", "userextras/*"],
    ["authentication.k8s.io", "uids"],
  ].filter(([g, res]) => ruleAllowsAnyName(rule, "impersonate", g, res));
  if (imp.length > 0) out.push(`impersonate: ${fmtRule(rule, ["impersonate"])}`);
  // `get` on pods/exec suffices over WebSockets; `create` is the classic path (already a write).
  for (const res of ["pods/exec", "pods/attach"]) {
    if (ruleAllowsAnyName(rule, "get", "", res)) out.push(`exec: ${fmtRule(rule, ["get"])} (${res} over WebSocket)`);
  }
  if (ruleAllowsAnyName(rule, "create", "", "serviceaccounts/token") && hits.length === 0) {
    out.push(`token: ${fmtRule(rule, ["create"])}`);
  }
  return out;
}

function ruleAllowsAnyName(rule: Rule, verb: string, group: string, resource: string): boolean {
  if (!has(rule.verbs, verb) || !has(rule.apiGroups, group)) return false;
  if (resource.endsWith("/*")) {
    const main = resource.slice(0, -2);
    return rule.resources.some((r) => r === "*" || r === resource || r.startsWith(`${main}/`));
  }
  return resourceMatches(rule.resources, resource);
}

const POD_CREATOR_GROUPS: Record<string, string> = {
  pods: "",
  replicationcontrollers: "",
  deployments: "apps",
  replicasets: "apps",
  statefulsets: "apps",
  daemonsets: "apps",
  jobs: "batch",
  cronjobs: "batch",
};

/**
 * Can these rules act as the namespace's ServiceAccounts: run a pod (which may mount any of them),
 * exec into one, mint a token, or impersonate?
 */
function canActAsServiceAccounts(rules: Rule[]): boolean {
  return rules.some(
    (rule) =>
      POD_CREATORS.some((res) => ruleAllows(rule, "create", POD_CREATOR_GROUPS[res], res)) ||
      ruleAllowsAnyName(rule, "create", "", "pods/exec") ||
      ruleAllowsAnyName(rule, "create", "", "serviceaccounts/token"),
  );
}

/** Impersonating the namespace's ServiceAccounts: admission never sees it, so no fence stops it. */
function impersonatesServiceAccounts(rules: Rule[]): boolean {
  return rules.some((rule) => ruleAllowsAnyName(rule, "impersonate", "", "serviceaccounts"));
}

/** The API server's user name of a binding subject (groups have none). */
export function subjectUser(s: Subject): string | undefined {
  return userOf(subjectKey(s, s.namespace));
}

/** The API server's user name of a subject key (`ServiceAccount:ns/name`, `User:x`); groups have none. */
function userOf(key: string): string | undefined {
  if (key.startsWith("ServiceAccount:")) return `system:serviceaccount:${key.slice("ServiceAccount:".length).replace("/", ":")}`;
  if (key.startsWith("User:")) return key.slice("User:".length);
  return undefined;
}

/** Capabilities admission never sees (reads and impersonation), so no fence removes them. */
const UNFENCED = ["read:", "impersonate:"];

/**
 * Whether a fence keeps `subject` out of every locked namespace a grant in `scope` reaches: then
 * only the capabilities admission cannot see remain. An unknown scope is never fenced.
 */
function fencedEverywhere(opts: Required<RbacOptions>, subject: string, scope: string | Unknown): boolean {
  const user = userOf(subject);
  if (user === undefined || isUnknown(scope) || !opts.fences.some((f) => f.user === user)) return false;
  const reached = scope === "*" ? opts.lockedNamespaces : [scope];
  return reached.every((ns) => !fenceAdmits(opts.fences, user, ns));
}

/** Does any rule read Secrets (any name: a named rule still reads the token it names)? */
function readsSecrets(rules: Rule[]): boolean {
  return rules.some((rule) => has(rule.apiGroups, "") && resourceMatches(rule.resources, "secrets") && READ.some((v) => has(rule.verbs, v)));
}

/**
 * Evaluates the model: every path by which a developer subject can write in (or take over) a
 * locked namespace.
 */
export function evaluateRbac(model: RbacModel, options: RbacOptions = {}): RbacVerdict {
  const opts: Required<RbacOptions> = {
    developerGroups: options.developerGroups ?? RBAC_DEFAULTS.developerGroups,
    developerUsers: options.developerUsers ?? RBAC_DEFAULTS.developerUsers,
    broadGroups: options.broadGroups ?? RBAC_DEFAULTS.broadGroups,
    lockedNamespaces: options.lockedNamespaces ?? RBAC_DEFAULTS.lockedNamespaces,
    pullRequestUsers: options.pullRequestUsers ?? RBAC_DEFAULTS.pullRequestUsers,
    fences: options.fences ?? RBAC_DEFAULTS.fences,
  };
  const index = new RoleIndex(model);
  // Resolve every aggregated role in view, bound or not, so unseen sources are always reported.
  for (const role of model.roles) if (role.aggregation) index.rulesOf(role);
  const grants = grantsOf(model, index);
  const devs = new Developers(opts);

  // Fixpoint: namespaces where developers can run pods, or read the Secrets that hold tokens,
  // make their ServiceAccounts developers. A fenced identity runs pods only where admission lets it.
  for (let changed = true; changed; ) {
    changed = false;
    for (const g of grants) {
      if (g.unknownRole || isUnknown(g.scope) || devs.controlled.has(g.scope) || devs.controlled.has("*")) continue;
      for (const who of g.binding.subjects.filter((s) => devs.why(s, g.binding.namespace))) {
        const key = subjectKey(who, g.binding.namespace);
        const user = userOf(key);
        const fences = user === undefined ? [] : opts.fences.filter((f) => f.user === user);
        const runsPods = canActAsServiceAccounts(g.rules);
        if (runsPods && (fences.length === 0 || (g.scope !== "*" && fenceAdmits(fences, user ?? "", g.scope)))) {
          devs.controlled.set(g.scope, `${key} can run pods or act as its ServiceAccounts (${g.binding.describe})`);
          changed = true;
          break;
        }
        if (impersonatesServiceAccounts(g.rules)) {
          devs.controlled.set(g.scope, `${key} can impersonate its ServiceAccounts (${g.binding.describe})`);
          changed = true;
          break;
        }
        if (readsSecrets(g.rules)) {
          devs.controlled.set(g.scope, `${key} can read its Secrets, where ServiceAccount tokens live (${g.binding.describe})`);
          changed = true;
          break;
        }
        if (!runsPods) continue;
        const reason = `${key} can run pods or act as its ServiceAccounts (${g.binding.describe})`;
        if (g.scope === "*") {
          for (const f of fences) {
            if (devs.controlledPatterns.some((p) => p.pattern.source === f.pattern.source)) continue;
            devs.controlledPatterns.push({ pattern: f.pattern, reason: `${reason}, fenced to ${f.pattern.source}` });
            changed = true;
          }
        }
      }
    }
  }

  const findings: AccessFinding[] = [];
  const warnings: Visibility[] = [];
  for (const g of grants) {
    const b = g.binding;
    const reaches = g.scope === "*" || isUnknown(g.scope) || opts.lockedNamespaces.includes(g.scope);
    if (!reaches) continue;
    const nsText = isUnknown(g.scope) ? "<unknown>" : g.scope;
    const roleText = isUnknown(b.roleRef)
      ? "<role unknown at preview>"
      : `${b.roleRef.kind} ${b.roleRef.name}${g.role?.source === "built-in" ? " (built-in)" : g.role ? "" : " (not in view)"}`;
    const via = `${b.describe} → ${roleText}`;
    if (g.unknownRole && !isUnknown(b.roleRef) && !g.role) {
      warnings.push({ message: `${b.describe} names ${b.roleRef.kind} ${b.roleRef.name}, which is not in view`, urn: b.urn });
    }
    if (b.unknownSubjects) {
      warnings.push({ message: `${b.describe}: subjects unknown at preview; checked again at update`, urn: b.urn });
    }
    for (const s of b.subjects) {
      const why = devs.why(s, b.namespace);
      if (!why) continue;
      const subject = subjectKey(s, b.namespace);
      if (g.unknownRole) {
        findings.push({
          subject,
          why,
          namespace: nsText,
          capability: "unprovable: the role's rules are not in view or unknown at preview (pass --cluster)",
          via,
          urn: b.urn,
        });
        continue;
      }
      let caps = new Set<string>();
      for (const rule of g.rules) for (const c of dangerousCapabilities(rule, g.scope, opts.lockedNamespaces)) caps.add(c);
      if (fencedEverywhere(opts, subject, g.scope)) caps = new Set([...caps].filter((c) => UNFENCED.some((p) => c.startsWith(p))));
      if (caps.size > 0) findings.push({ subject, why, namespace: nsText, capability: [...caps].join("; "), via, urn: b.urn });
    }
  }
  return { findings, warnings: [...index.warnings, ...warnings] };
}

/** Effective verbs of a subject in a namespace, for the access matrix of the report. */
export function accessSummary(
  model: RbacModel,
  subject: Subject,
  namespace: string,
): { verbs: Set<string>; unresolved: boolean } {
  const index = new RoleIndex(model);
  const verbs = new Set<string>();
  let unresolved = false;
  for (const g of grantsOf(model, index)) {
    if (g.scope !== "*" && g.scope !== namespace) continue;
    if (!g.binding.subjects.some((s) => subjectKey(s, g.binding.namespace) === subjectKey(subject, namespace))) continue;
    if (g.unknownRole) unresolved = true;
    for (const rule of g.rules) if (rule.resources.length > 0) rule.verbs.forEach((v) => verbs.add(v));
  }
  return { verbs, unresolved };
}

/** Every subject named by a binding, keyed like findings (`Group:developers`). */
export function subjectsOf(model: RbacModel): Map<string, Subject> {
  const out = new Map<string, Subject>();
  for (const b of model.bindings) {
    for (const s of b.subjects) {
      const k = subjectKey(s, b.namespace);
      const ns = s.kind === "ServiceAccount" ? (s.namespace ?? (typeof b.namespace === "string" ? b.namespace : undefined)) : undefined;
      out.set(k, { ...s, namespace: ns });
    }
  }
  return out;
}

/** Who asks, as a SubjectAccessReview names them: a user with groups. */
export interface Identity {
  user: string;
  groups: string[];
}

/**
 * Whether `identity` may `verb` `group/resource` (a subresource as `pods/exec`) in `namespace`,
 * by the bindings and roles in view — the evaluator's answer to one SubjectAccessReview cell.
 * `undefined` when a binding that names the identity refers to a role out of view.
 */
export function allows(
  model: RbacModel,
  identity: Identity,
  verb: string,
  group: string,
  resource: string,
  namespace: string,
): boolean | undefined {
  const index = new RoleIndex(model);
  const names = (s: Subject, bindingNs: string | Unknown | undefined): boolean => {
    if (s.kind === "Group") return identity.groups.includes(s.name);
    if (s.kind === "User") return s.name === identity.user;
    if (s.kind === "ServiceAccount") {
      const ns = s.namespace ?? (typeof bindingNs === "string" ? bindingNs : undefined);
      return identity.user === `system:serviceaccount:${ns}:${s.name}`;
    }
    return false;
  };
  let unresolved = false;
  for (const g of grantsOf(model, index)) {
    if (g.scope !== "*" && g.scope !== namespace) continue;
    if (!g.binding.subjects.some((s) => names(s, g.binding.namespace))) continue;
    if (g.unknownRole) unresolved = true;
    if (g.rules.some((rule) => ruleAllows(rule, verb, group, resource))) return true;
  }
  return unresolved ? undefined : false;
}
