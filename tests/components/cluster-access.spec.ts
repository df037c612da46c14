import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ClusterAccess, ClusterAccessArgs } from "../../components/cluster-access";
import { construct, created } from "../support/component";
import { promiseOf, RecordedResource } from "../support/mocks";

const ARGS: ClusterAccessArgs = {
  appName: "myapp",
  access: { developerGroups: ["developers"], developerUsers: ["dana"], qaGroups: ["qa-engineers"], qaUsers: [] },
  server: "https://k8s.example.test:6443",
  domain: "yourteam.dev",
};
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";
const FENCES = ["team-preview-deployer-fence", "team-feature-namespace-labels", "team-preview-rolebindings", "team-preview-hosts", "team-no-external-ips"];
const byName = (resources: RecordedResource[], type: string): Record<string, RecordedResource> => Object.fromEntries(resources.filter((r) => r.type === type).map((r) => [r.inputs.metadata.name, r]));

describe("ClusterAccess", () => {
  it("binds developers cluster-wide to read-only access that never includes Secrets, and to nothing else", async () => {
    const { resources, urn } = await construct(() => new ClusterAccess("cluster-access", ARGS));
    const roles = byName(resources, ROLE);
    const bindings = byName(resources, BINDING);
    assert.deepStrictEqual(Object.keys(bindings).sort(), ["team-developer-read", "team-drift-reader", "team-preview-deployer"]);
    for (const r of [...Object.values(roles), ...Object.values(bindings)]) assert.strictEqual(r.parent, urn, r.name);
    assert.deepStrictEqual(bindings["team-developer-read"].inputs.subjects, [
      { kind: "Group", name: "developers", apiGroup: "rbac.authorization.k8s.io" },
      { kind: "User", name: "dana", apiGroup: "rbac.authorization.k8s.io" },
    ]);
    const read = roles["team-developer-read"].inputs.rules;
    assert.ok(read.every((rule: any) => !rule.resources.includes("secrets")), "developers never read Secrets");
    assert.ok(read.every((rule: any) => rule.verbs.every((v: string) => ["get", "list", "watch"].includes(v))), "read only");
  });

  it("gives the preview deployer and the drift reader ServiceAccounts in the restricted CI namespace, bound by name", async () => {
    const { resources, component } = await construct(() => new ClusterAccess("cluster-access", ARGS));
    const ns = created(resources, "kubernetes:core/v1:Namespace", "cluster-access-ci-namespace").inputs.metadata;
    assert.strictEqual(ns.name, "team-ci");
    assert.strictEqual(ns.labels["pod-security.kubernetes.io/enforce"], "restricted");
    const accounts = resources.filter((r) => r.type === "kubernetes:core/v1:ServiceAccount").map((r) => `${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`);
    assert.deepStrictEqual(accounts.sort(), ["team-ci/drift-reader", "team-ci/preview-deployer"]);
    const bindings = byName(resources, BINDING);
    assert.deepStrictEqual(bindings["team-preview-deployer"].inputs.subjects, [{ kind: "ServiceAccount", name: "preview-deployer", namespace: "team-ci" }]);
    assert.deepStrictEqual(bindings["team-drift-reader"].inputs.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "team-drift-reader" });
    const drift = byName(resources, ROLE)["team-drift-reader"].inputs.rules;
    assert.ok(drift.every((rule: any) => !rule.resources.includes("secrets") && rule.verbs.every((v: string) => ["get", "list", "watch"].includes(v))));
    assert.ok(await pulumi.isSecret(component.previewDeployer.kubeconfig));
    assert.strictEqual(JSON.parse(await promiseOf(component.driftReader.kubeconfig)).clusters[0].cluster.server, "https://k8s.example.test:6443");
  });

  it("fences previews with admission policies, each enforced by a Deny binding of the same name", async () => {
    const { resources } = await construct(() => new ClusterAccess("cluster-access", ARGS));
    const policies = byName(resources, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
    const bindings = byName(resources, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding");
    assert.deepStrictEqual(Object.keys(policies).sort(), [...FENCES].sort());
    for (const name of FENCES) {
      assert.deepStrictEqual(bindings[name].inputs.spec, { policyName: name, validationActions: ["Deny"] });
      assert.ok(bindings[name].dependencies.includes(policies[name].urn), `${name}: the binding waits for its policy`);
      assert.ok(policies[name].inputs.metadata.annotations["team-environments.dev/purpose"], `${name} says what it guarantees`);
    }
    assert.strictEqual(policies["team-preview-hosts"].inputs.spec.validations[0].message, "preview hosts must be single hosts under .preview.yourteam.dev");
  });

  it("registers the CI namespace, its cluster roles and the admission policies", async () => {
    const { outputs } = await construct(() => new ClusterAccess("cluster-access", ARGS));
    assert.deepStrictEqual(outputs, {
      ciNamespace: "team-ci",
      clusterRoles: ["team-developer-read", "team-feature-developer", "team-preview-deployer", "team-preview-deployer-secrets", "team-drift-reader"],
      admissionPolicies: FENCES,
    });
  });
});
