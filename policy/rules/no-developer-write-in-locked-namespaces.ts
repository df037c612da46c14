/**
 * no-developer-write-in-locked-namespaces: no path through RBAC lets a developer — or an identity
 * that runs pull-request code — write in a locked namespace, read its Secrets, or take it over
 * (bind, escalate, impersonate, exec, token). Admission fences of the program's shape are honoured.
 */
import { EXPORT_PATH_SCHEMA, optString, stackView, stringList } from "../analysis/context";
import { readFences } from "../analysis/fences";
import { ResourceLike } from "../analysis/objects";
import { RBAC_DEFAULTS, RbacOptions, evaluateRbac, readRbac } from "../analysis/rbac";
import { PackRule, configOf, resourcesOf } from "./kit";

/**
 * RBAC options from a rule config and the resources in view, whose admission fences are honoured
 * (shared with rbac-visibility and the CLI report).
 */
export function rbacOptions(cfg: Record<string, unknown>, view: readonly ResourceLike[]): RbacOptions {
  return {
    pullRequestUsers: stringList(cfg, "pullRequestUsers", RBAC_DEFAULTS.pullRequestUsers),
    fences: readFences(view),
    developerGroups: stringList(cfg, "developerGroups", RBAC_DEFAULTS.developerGroups),
    developerUsers: stringList(cfg, "developerUsers", RBAC_DEFAULTS.developerUsers),
    broadGroups: stringList(cfg, "broadGroups", RBAC_DEFAULTS.broadGroups),
    lockedNamespaces: stringList(cfg, "lockedNamespaces", RBAC_DEFAULTS.lockedNamespaces),
  };
}

/** Config schema shared by the RBAC rules. */
export const RBAC_SCHEMA = {
  properties: {
    developerGroups: { type: "array" as const, items: { type: "string" as const }, default: RBAC_DEFAULTS.developerGroups },
    developerUsers: { type: "array" as const, items: { type: "string" as const }, default: RBAC_DEFAULTS.developerUsers },
    broadGroups: {
      type: "array" as const,
      items: { type: "string" as const },
      default: RBAC_DEFAULTS.broadGroups,
      description: "Groups every developer belongs to (system:authenticated …).",
    },
    lockedNamespaces: { type: "array" as const, items: { type: "string" as const }, default: RBAC_DEFAULTS.lockedNamespaces },
    pullRequestUsers: {
      type: "array" as const,
      items: { type: "string" as const },
      default: RBAC_DEFAULTS.pullRequestUsers,
      description: "Users that run pull-request code (the preview deployer): a developer controls them.",
    },
    clusterStackExport: { ...EXPORT_PATH_SCHEMA, description: "`pulumi stack export` of the stack owning cluster-wide RBAC." },
  },
};

export const noDeveloperWriteInLockedNamespaces: PackRule = {
  name: "no-developer-write-in-locked-namespaces",
  description: "Developers (and anyone they can act as) cannot write in, or take over, the locked namespaces.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Remove the developer subject from the binding, bind a narrower role, or move the grant to a feature namespace. " +
    "Locked namespaces change only through the CI deployer.",
  configSchema: RBAC_SCHEMA,
  validateStack: (args, reportViolation) => {
    const cfg = configOf(args);
    const view = stackView(resourcesOf(args), [optString(cfg, "clusterStackExport")]);
    const model = readRbac(view.all);
    if (model.bindings.length === 0) args.notApplicable("no RoleBinding or ClusterRoleBinding in view");
    const own = new Set(view.own.map((r) => r.urn));
    for (const f of evaluateRbac(model, rbacOptions(cfg, view.all)).findings) {
      reportViolation(
        `${f.subject} (${f.why}) can ${f.capability} in ${f.namespace === "*" ? "every namespace" : f.namespace} via ${f.via}`,
        own.has(f.urn) ? f.urn : undefined,
      );
    }
  },
};
