import { strict as assert } from "node:assert";
import { PREVIEW_DEPLOYER_USER, ROLE_NAMES } from "../../rbac/rules";
import { featureStackName } from "../../policy/conventions";
import { FEATURE_NAMESPACE_PATTERN, admissionPolicies, fenceAdmits, previewDeployerFence, readFences } from "../../policy/analysis/fences";
import { ResourceLike } from "../../policy/analysis/objects";
import { RBAC_DEFAULTS, evaluateRbac, readRbac } from "../../policy/analysis/rbac";
import { UNKNOWN } from "../../policy/analysis/values";
import { mutate } from "./helpers";
import { ProgramRun, runProgram } from "../support/program";

const VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const VAPB = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";
const FENCE = "team-preview-deployer-fence";

function asResources(...runs: ProgramRun[]): ResourceLike[] {
  return runs.flatMap((run) => run.resources.filter((r) => r.custom).map((r) => ({ type: r.type, urn: r.urn, name: r.name, props: r.inputs })));
}

/** The resources with the fence policy (or its binding) changed by `fn`. */
function tamper(resources: ResourceLike[], type: string, fn: (spec: Record<string, unknown>) => void): ResourceLike[] {
  return resources.map((r) =>
    r.type === type && (r.props.metadata as { name: string }).name === FENCE ? { ...r, props: mutate(r.props, (p) => fn(p.spec as Record<string, unknown>)) } : r,
  );
}

describe("admission fences (policy/analysis/fences.ts)", function () {
  this.timeout(60000);
  let cluster: ResourceLike[];
  let withPreview: ResourceLike[];
  before(async () => {
    cluster = asResources(await runProgram("cluster"));
    withPreview = [...cluster, ...asResources(await runProgram("feature-pr-142"), await runProgram("staging"))];
  });

  it("the feature namespace pattern is the feature stack name rule", () => {
    const re = new RegExp(FEATURE_NAMESPACE_PATTERN);
    for (const n of [1, 42, 999999999]) assert.ok(re.test(featureStackName(n)), featureStackName(n));
    for (const name of ["feature-pr-0", "feature-pr-01", "feature-pr-1a", "xfeature-pr-1", "production", "feature-pr-", "kube-system"]) {
      assert.ok(!re.test(name), name);
    }
  });

  it("the cluster stack ships every admission policy with a Deny binding, from the one definition", () => {
    const policies = cluster.filter((r) => r.type === VAP);
    const expected = admissionPolicies({
      previewDeployerUser: PREVIEW_DEPLOYER_USER,
      previewDeployer: { namespace: "team-ci", serviceAccount: "preview-deployer" },
      featureRoles: { developers: ROLE_NAMES.featureDeveloper, deployerSecrets: ROLE_NAMES.previewDeployerSecrets },
      domain: "yourteam.dev",
    });
    assert.deepStrictEqual(
      policies.map((p) => (p.props.metadata as { name: string }).name).sort(),
      expected.map((p) => p.name).sort(),
    );
    for (const p of expected) {
      const vap = policies.find((r) => (r.props.metadata as { name: string }).name === p.name);
      assert.deepStrictEqual(vap?.props.spec, p.spec, p.name);
      const binding = cluster.find((r) => r.type === VAPB && (r.props.metadata as { name: string }).name === p.name);
      assert.deepStrictEqual((binding?.props.spec as { validationActions: string[] }).validationActions, ["Deny"], p.name);
    }
  });

  it("the fence covers every operation on every resource and subresource, for the preview deployer only", () => {
    const spec = previewDeployerFence(PREVIEW_DEPLOYER_USER).spec;
    assert.deepStrictEqual(spec.matchConstraints.resourceRules, [
      { apiGroups: ["*"], apiVersions: ["*"], resources: ["*/*"], operations: ["CREATE", "UPDATE", "DELETE", "CONNECT"] },
    ]);
    assert.deepStrictEqual(spec.matchConditions, [{ name: "preview-deployer-only", expression: `request.userInfo.username == '${PREVIEW_DEPLOYER_USER}'` }]);
    assert.equal(spec.failurePolicy, "Fail");
    assert.throws(() => previewDeployerFence("x' || true || '"), /not a ServiceAccount user name/);
  });

  it("the pack recognises the program's fence and nothing that only looks like it", () => {
    assert.deepStrictEqual(
      readFences(cluster).map((f) => [f.user, f.pattern.source]),
      [[PREVIEW_DEPLOYER_USER, FEATURE_NAMESPACE_PATTERN]],
    );
    const variants: [string, ResourceLike[]][] = [
      ["binding only warns", tamper(cluster, VAPB, (s) => (s.validationActions = ["Warn", "Audit"]))],
      ["binding narrowed", tamper(cluster, VAPB, (s) => (s.matchResources = { namespaceSelector: { matchLabels: { a: "b" } } }))],
      ["failure policy Ignore", tamper(cluster, VAP, (s) => (s.failurePolicy = "Ignore"))],
      ["no CONNECT", tamper(cluster, VAP, (s) => ((s.matchConstraints as { resourceRules: { operations: string[] }[] }).resourceRules[0].operations = ["CREATE", "UPDATE", "DELETE"]))],
      ["top-level resources only", tamper(cluster, VAP, (s) => ((s.matchConstraints as { resourceRules: { resources: string[] }[] }).resourceRules[0].resources = ["*"]))],
      ["object selector", tamper(cluster, VAP, (s) => ((s.matchConstraints as Record<string, unknown>).objectSelector = { matchLabels: { a: "b" } }))],
      ["looser pattern", tamper(cluster, VAP, (s) => ((s.validations as { expression: string }[])[0].expression = "request.namespace.matches('^feature-')"))],
      ["binding narrowing unknown at preview", tamper(cluster, VAPB, (s) => (s.matchResources = UNKNOWN))],
      ["validation unknown at preview", tamper(cluster, VAP, (s) => ((s.validations as { expression: unknown }[])[0].expression = UNKNOWN))],
      ["second condition", tamper(cluster, VAP, (s) => (s.matchConditions as unknown[]).push({ name: "x", expression: "false" }))],
    ];
    const fence = cluster.find((r) => r.type === VAP && (r.props.metadata as { name: string }).name === FENCE) as ResourceLike;
    variants.push(
      ["a policy patch of the same name", [...cluster, { ...fence, type: "kubernetes:admissionregistration.k8s.io/v1alpha1:ValidatingAdmissionPolicyPatch", urn: `${fence.urn}-patch` }]],
      ["a second, different policy of the same name", [...cluster, { ...fence, urn: `${fence.urn}-2`, props: mutate(fence.props, (p) => ((p.spec as Record<string, unknown>).failurePolicy = "Ignore")) }]],
      ["no explicit name (auto-named)", cluster.map((r) => (r === fence ? { ...r, props: mutate(r.props, (p) => delete (p.metadata as Record<string, unknown>).name) } : r))],
    );
    for (const [what, resources] of variants) assert.deepStrictEqual(readFences(resources), [], what);
    assert.deepStrictEqual(readFences(cluster.filter((r) => r.type !== VAPB)), [], "no binding");
  });

  it("fenceAdmits: only feature-pr-<N> namespaces, and unfenced users everywhere", () => {
    const fences = readFences(cluster);
    assert.ok(fenceAdmits(fences, PREVIEW_DEPLOYER_USER, "feature-pr-3"));
    for (const ns of ["production", "staging", "kube-system", "team-ci", ""]) assert.ok(!fenceAdmits(fences, PREVIEW_DEPLOYER_USER, ns), ns);
    assert.ok(fenceAdmits(fences, "system:serviceaccount:production:ci-deployer", "production"));
  });

  describe("the RBAC evaluator with fences", () => {
    const evaluate = (resources: ResourceLike[]) => evaluateRbac(readRbac(resources), { fences: readFences(resources) }).findings;

    it("the preview deployer runs pull-request code: a developer by default", () => {
      assert.deepStrictEqual(RBAC_DEFAULTS.pullRequestUsers, [PREVIEW_DEPLOYER_USER]);
    });

    it("0 paths with the fence: the preview deployer reads no Secret and changes nothing outside previews", () => {
      assert.deepStrictEqual(evaluate(withPreview), []);
    });

    it("without the fence the preview deployer writes in staging and production, and so do the deployers whose pods it can run", () => {
      const findings = evaluate(tamper(withPreview, VAPB, (s) => (s.validationActions = ["Warn"])));
      const subjects = [...new Set(findings.map((f) => f.subject))].sort();
      assert.deepStrictEqual(subjects, ["ServiceAccount:production/ci-deployer", "ServiceAccount:staging/ci-deployer", "ServiceAccount:team-ci/preview-deployer"]);
      assert.match(findings.find((f) => f.subject.includes("preview-deployer"))?.why ?? "", /runs pull-request code/);
    });

    it("impersonation is never fenced, and a grant to the deployer's ServiceAccount group is the deployer's", () => {
      const grant = (name: string, rules: object[], subject: object): ResourceLike[] => [
        {
          type: "kubernetes:rbac.authorization.k8s.io/v1:Role",
          urn: `urn:pulumi:cluster::t::kubernetes:rbac.authorization.k8s.io/v1:Role::${name}`,
          name,
          props: { metadata: { name, namespace: "team-ci" }, rules },
        },
        {
          type: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
          urn: `urn:pulumi:cluster::t::kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::${name}`,
          name,
          props: { metadata: { name, namespace: "team-ci" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name }, subjects: [subject] },
        },
      ];
      const prodInTeamCi: ResourceLike[] = [
        {
          type: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
          urn: "urn:pulumi:cluster::t::kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::prod-bot",
          name: "prod-bot",
          props: {
            metadata: { name: "prod-bot", namespace: "production" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
            subjects: [{ kind: "ServiceAccount", name: "bot", namespace: "team-ci" }],
          },
        },
      ];
      const deployer = { kind: "ServiceAccount", name: "preview-deployer", namespace: "team-ci" };
      const imp = evaluate([...withPreview, ...prodInTeamCi, ...grant("imp", [{ apiGroups: [""], resources: ["serviceaccounts"], verbs: ["impersonate"] }], deployer)]);
      assert.match(imp.find((f) => f.subject === "ServiceAccount:team-ci/bot")?.why ?? "", /preview-deployer can impersonate its ServiceAccounts/);
      const group = { kind: "Group", name: "system:serviceaccounts:team-ci", apiGroup: "rbac.authorization.k8s.io" };
      const viaGroup = evaluate([...withPreview, ...prodInTeamCi, ...grant("grp", [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }], group)]);
      assert.match(viaGroup.find((f) => f.subject === "ServiceAccount:team-ci/bot")?.why ?? "", /Group:system:serviceaccounts:team-ci can read its Secrets/);
    });

    it("a fenced identity that reads Secrets cluster-wide holds every token it reads (reads are not admitted)", () => {
      const reader: ResourceLike[] = [
        {
          type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
          urn: "urn:pulumi:cluster::t::kubernetes:rbac.authorization.k8s.io/v1:ClusterRole::reader",
          name: "reader",
          props: { metadata: { name: "secret-reader" }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }] },
        },
        {
          type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
          urn: "urn:pulumi:cluster::t::kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding::reader",
          name: "reader",
          props: {
            metadata: { name: "secret-reader" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "secret-reader" },
            subjects: [{ kind: "ServiceAccount", name: "preview-deployer", namespace: "team-ci" }],
          },
        },
      ];
      const findings = evaluate([...withPreview, ...reader]);
      const deployer = findings.filter((f) => f.subject === "ServiceAccount:team-ci/preview-deployer");
      assert.deepStrictEqual(deployer.map((f) => f.capability), ["read: get on secrets (core)"]);
      const prod = findings.find((f) => f.subject === "ServiceAccount:production/ci-deployer");
      assert.match(prod?.why ?? "", /preview-deployer can read its Secrets, where ServiceAccount tokens live/);
      assert.match(prod?.capability ?? "", /write: create,update,patch,delete on configmaps/);
    });
  });
});
