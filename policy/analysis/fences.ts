/**
 * Admission fences: the ValidatingAdmissionPolicies the cluster stack ships, built here once so
 * that the program emits them and the pack recognises them from the same definition.
 *
 * RBAC cannot name a namespace pattern, so the preview deployer (an identity that runs
 * pull-request code) holds cluster-wide RBAC and is confined to `feature-pr-<N>` namespaces by
 * admission. The pack honours a fence only when a policy in view is exactly the one built here
 * (after the API server's defaults) and a `Deny` binding without narrowing points at it: a fence
 * it cannot prove is a fence it does not count, so it is never more lenient than the API server.
 *
 * Pure TypeScript: no Pulumi imports, so the program and the pack can both load it.
 */
import { FEATURE_ENVIRONMENT_PATTERN, LABEL, POD_SECURITY_OF_KIND } from "../conventions";
import { ResourceLike, isKind } from "./objects";
import { isUnknown, plain, str } from "./values";

/** Names of feature namespaces (= feature stacks): `feature-pr-<N>`, N a PR number without leading zero. */
export const FEATURE_NAMESPACE_PATTERN = `^${FEATURE_ENVIRONMENT_PATTERN}$`;

/** Labels the fences read on feature namespaces. */
const KIND_LABEL = LABEL.kind;
const PSA_ENFORCE = LABEL.podSecurityEnforce;
const PSA_ENFORCE_VERSION = LABEL.podSecurityEnforceVersion;
/** The Pod Security level a preview must enforce. */
const PREVIEW_PSA = POD_SECURITY_OF_KIND.feature;

/**
 * Labels of a feature namespace nobody in the preview can change: its name (set by the API
 * server) and those `team-feature-namespace-labels` pins. Every other label is the preview's choice.
 */
export function featurePinnedLabels(ns: string): Record<string, string> {
  return { [LABEL.namespaceName]: ns, [KIND_LABEL]: "feature", [PSA_ENFORCE]: PREVIEW_PSA };
}

/** One ValidatingAdmissionPolicy (and its Deny binding, which carries the same name). */
export interface AdmissionPolicy {
  name: string;
  /** What it guarantees, in one line (README and report). */
  purpose: string;
  spec: {
    failurePolicy: "Fail";
    matchConstraints: { resourceRules: { apiGroups: string[]; apiVersions: string[]; resources: string[]; operations: string[] }[] };
    matchConditions?: { name: string; expression: string }[];
    validations: { expression: string; message: string }[];
  };
}

/** Arguments of {@link admissionPolicies}. */
export interface FenceArgs {
  /** User name of the preview deployer (`system:serviceaccount:<ns>:<name>`). */
  previewDeployerUser: string;
  /** ServiceAccount of the preview deployer, the only subject a secrets RoleBinding in a preview may name. */
  previewDeployer: { namespace: string; serviceAccount: string };
  /** ClusterRoles a RoleBinding in a preview may reference. */
  featureRoles: { developers: string; deployerSecrets: string };
  /** The team's domain: preview hosts live under `*.preview.<domain>`. */
  domain: string;
}

const ALL_OPERATIONS = ["CREATE", "UPDATE", "DELETE", "CONNECT"];
const inFeatureNamespace = { name: "in-feature-namespace", expression: `request.namespace.matches('${FEATURE_NAMESPACE_PATTERN}')` };

/** A CEL raw-string regex literal matching `text` exactly. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The preview deployer's fence: every operation on every resource and subresource, only in feature namespaces. */
export function previewDeployerFence(user: string): AdmissionPolicy {
  if (!/^[a-z0-9:.-]+$/.test(user)) throw new Error(`fence: "${user}" is not a ServiceAccount user name`);
  const name = "(object != null ? object.metadata.name : request.name)";
  return {
    name: "team-preview-deployer-fence",
    purpose: "the preview deployer changes nothing outside feature-pr-<N> namespaces (every operation, resource and subresource)",
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { resourceRules: [{ apiGroups: ["*"], apiVersions: ["*"], resources: ["*/*"], operations: ALL_OPERATIONS }] },
      matchConditions: [{ name: "preview-deployer-only", expression: `request.userInfo.username == '${user}'` }],
      validations: [
        {
          // A namespace is judged by its own (immutable) name, anything namespaced by the name of
          // its namespace; cluster-scoped objects have no namespace and are always denied.
          expression:
            `request.resource.group == '' && request.resource.resource == 'namespaces' ? ` +
            `${name}.matches('${FEATURE_NAMESPACE_PATTERN}') : has(request.namespace) && request.namespace.matches('${FEATURE_NAMESPACE_PATTERN}')`,
          message: "the preview deployer may only change feature-pr-<N> namespaces and what is in them",
        },
      ],
    },
  };
}

/** Every admission policy the cluster stack ships. */
export function admissionPolicies(args: FenceArgs): AdmissionPolicy[] {
  const { previewDeployer: sa, featureRoles: roles } = args;
  const host = `[a-z0-9]([a-z0-9.-]*[a-z0-9])?\\.preview\\.${literal(args.domain)}`;
  return [
    previewDeployerFence(args.previewDeployerUser),
    {
      name: "team-feature-namespace-labels",
      purpose: "a feature namespace is always labelled kind=feature with Pod Security enforce=restricted (latest)",
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["namespaces", "namespaces/status", "namespaces/finalize"], operations: ["CREATE", "UPDATE"] }],
        },
        matchConditions: [{ name: "feature-namespace", expression: `object.metadata.name.matches('${FEATURE_NAMESPACE_PATTERN}')` }],
        validations: [
          {
            expression:
              `has(object.metadata.labels) && ` +
              `'${KIND_LABEL}' in object.metadata.labels && object.metadata.labels['${KIND_LABEL}'] == 'feature' && ` +
              `'${PSA_ENFORCE}' in object.metadata.labels && object.metadata.labels['${PSA_ENFORCE}'] == '${PREVIEW_PSA}' && ` +
              `(!('${PSA_ENFORCE_VERSION}' in object.metadata.labels) || object.metadata.labels['${PSA_ENFORCE_VERSION}'] == 'latest')`,
            message: `feature namespaces must keep ${KIND_LABEL}=feature and ${PSA_ENFORCE}=${PREVIEW_PSA} (enforce-version latest)`,
          },
        ],
      },
    },
    {
      name: "team-preview-rolebindings",
      purpose: `RoleBindings in a preview reference only ${roles.developers} (or ${roles.deployerSecrets} for the preview deployer itself)`,
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [{ apiGroups: ["rbac.authorization.k8s.io"], apiVersions: ["*"], resources: ["rolebindings"], operations: ["CREATE", "UPDATE"] }],
        },
        matchConditions: [inFeatureNamespace],
        validations: [
          {
            expression:
              `object.roleRef.kind == 'ClusterRole' && (object.roleRef.name == '${roles.developers}' || ` +
              `(object.roleRef.name == '${roles.deployerSecrets}' && has(object.subjects) && object.subjects.all(s, ` +
              `s.kind == 'ServiceAccount' && s.name == '${sa.serviceAccount}' && has(s.namespace) && s.namespace == '${sa.namespace}')))`,
            message: `RoleBindings in a preview may only reference the ClusterRole ${roles.developers} (or ${roles.deployerSecrets} for the preview deployer)`,
          },
        ],
      },
    },
    {
      name: "team-preview-hosts",
      purpose: `Ingresses and IngressRoutes in a preview serve only hosts under *.preview.${args.domain}`,
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [
            { apiGroups: ["networking.k8s.io"], apiVersions: ["*"], resources: ["ingresses"], operations: ["CREATE", "UPDATE"] },
            { apiGroups: ["traefik.io", "traefik.containo.us"], apiVersions: ["*"], resources: ["ingressroutes"], operations: ["CREATE", "UPDATE"] },
          ],
        },
        matchConditions: [inFeatureNamespace],
        validations: [
          {
            expression:
              `request.resource.resource == 'ingresses' ? ` +
              `(!has(object.spec.defaultBackend) && has(object.spec.rules) && object.spec.rules.all(r, has(r.host) && r.host.matches(r'^${host}$'))) : ` +
              `(has(object.spec.routes) && object.spec.routes.all(r, r.match.matches(r'^Host\\(\`${host}\`\\)$')))`,
            message: `preview hosts must be single hosts under .preview.${args.domain}`,
          },
        ],
      },
    },
    {
      name: "team-no-external-ips",
      purpose: "no Service anywhere sets spec.externalIPs (CVE-2020-8554)",
      spec: {
        failurePolicy: "Fail",
        matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["services"], operations: ["CREATE", "UPDATE"] }] },
        validations: [
          {
            expression: "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0",
            message: "Services may not set spec.externalIPs (CVE-2020-8554: traffic interception)",
          },
        ],
      },
    },
  ];
}

/** A fence the pack honours: `user` changes nothing outside namespaces matching `pattern`. */
export interface Fence {
  user: string;
  pattern: RegExp;
  /** The policy's URN. */
  urn: string;
}

const USER_CONDITION = /^request\.userInfo\.username == '([a-z0-9:.-]+)'$/;

/** The spec as the API server stores it, reduced to what decides admission (defaults applied). */
function normalise(spec: unknown): unknown {
  const s = (plain(spec) ?? {}) as Record<string, unknown>;
  const mc = (s.matchConstraints ?? {}) as Record<string, unknown>;
  const empty = (v: unknown) => v === undefined || v === null || (typeof v === "object" && Object.keys(v).length === 0);
  // Anything that could narrow or change the policy makes it unrecognisable (null never equals a spec).
  if (!empty(mc.namespaceSelector) || !empty(mc.objectSelector) || !empty(mc.excludeResourceRules) || !empty(s.paramKind)) return null;
  if (!empty(s.variables) || (mc.matchPolicy !== undefined && mc.matchPolicy !== "Equivalent")) return null;
  const rules = ((mc.resourceRules ?? []) as Record<string, unknown>[]).map((r) => ({
    apiGroups: r.apiGroups,
    apiVersions: r.apiVersions,
    resources: r.resources,
    operations: r.operations,
    ...(r.scope === undefined || r.scope === "*" ? {} : { scope: r.scope }),
  }));
  const validations = ((s.validations ?? []) as Record<string, unknown>[]).map((v) => v.expression);
  const conditions = ((s.matchConditions ?? []) as Record<string, unknown>[]).map((c) => ({ name: c.name, expression: c.expression }));
  return { failurePolicy: s.failurePolicy ?? "Fail", rules, conditions, validations };
}

/** True when any value in `v` is unknown (preview): such a policy or binding is no fence yet. */
function hasUnknown(v: unknown): boolean {
  if (isUnknown(v)) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (typeof v === "object" && v !== null) return Object.values(v).some(hasUnknown);
  return false;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The fences in view: each ValidatingAdmissionPolicy equal to {@link previewDeployerFence} for
 * some user, with an explicit name and a binding that denies (no `matchResources`, no `paramRef`).
 * Anything else is not a fence: another shape, a Warn/Audit-only or narrowed binding anywhere in
 * view, a `…Patch` of the policy or binding, two different policies of one name, a value unknown
 * at preview.
 */
export function readFences(resources: readonly ResourceLike[]): Fence[] {
  // A patch of a policy or binding could change what the API server enforces: such names are no fence.
  const patched = new Set(
    resources
      .filter((r) => isKind(r.type, "ValidatingAdmissionPolicyPatch") || isKind(r.type, "ValidatingAdmissionPolicyBindingPatch"))
      .map((r) => str(r.props, "metadata", "name"))
      .filter((n): n is string => typeof n === "string"),
  );
  const denying = new Set<string>();
  const lenient = new Set<string>();
  for (const b of resources) {
    if (!isKind(b.type, "ValidatingAdmissionPolicyBinding")) continue;
    const spec = (plain(b.props.spec) ?? {}) as Record<string, unknown>;
    if (hasUnknown(spec)) continue;
    const actions = spec.validationActions;
    const narrowed = spec.matchResources !== undefined && spec.matchResources !== null && Object.keys(spec.matchResources as object).length > 0;
    const params = spec.paramRef !== undefined && spec.paramRef !== null;
    if (typeof spec.policyName !== "string") continue;
    if (Array.isArray(actions) && actions.includes("Deny") && !narrowed && !params) denying.add(spec.policyName);
    else lenient.add(spec.policyName);
  }
  const policies = resources.filter((p) => isKind(p.type, "ValidatingAdmissionPolicy"));
  // Two objects of one name in view (two stacks, two exports) that differ: the pack cannot know which one the cluster holds.
  const specsByName = new Map<string, Set<string>>();
  for (const p of policies) {
    const name = str(p.props, "metadata", "name");
    if (typeof name === "string") specsByName.set(name, (specsByName.get(name) ?? new Set()).add(JSON.stringify(normalise(p.props.spec))));
  }
  const out: Fence[] = [];
  for (const p of policies) {
    // An explicit name only: without one, Pulumi auto-names the object and no binding points at it.
    const name = str(p.props, "metadata", "name");
    if (typeof name !== "string" || !denying.has(name) || lenient.has(name) || patched.has(name)) continue;
    if ((specsByName.get(name)?.size ?? 0) > 1 || hasUnknown(plain(p.props.spec))) continue;
    const conditions = (plain(p.props.spec) as { matchConditions?: { expression?: unknown }[] } | undefined)?.matchConditions ?? [];
    const m = conditions.length === 1 && typeof conditions[0].expression === "string" ? USER_CONDITION.exec(conditions[0].expression) : null;
    if (!m) continue;
    const expected = previewDeployerFence(m[1]);
    if (name === expected.name && same(normalise(p.props.spec), normalise(expected.spec))) {
      out.push({ user: m[1], pattern: new RegExp(FEATURE_NAMESPACE_PATTERN), urn: p.urn });
    }
  }
  return out;
}

/** Whether the fences let `user` change something in `namespace` (a namespace's own name for namespaces; "" when cluster-scoped). */
export function fenceAdmits(fences: readonly Fence[], user: string, namespace: string): boolean {
  return fences.filter((f) => f.user === user).every((f) => f.pattern.test(namespace));
}
