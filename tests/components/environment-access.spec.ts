import * as assert from "assert";
import { EnvironmentAccess, EnvironmentAccessArgs } from "../../components/environment-access";
import { construct, childrenOf } from "../support/component";

const ACCESS = { developerGroups: ["developers"], developerUsers: ["dana"], qaGroups: ["qa-engineers"], qaUsers: [] };
const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
const RBAC = "rbac.authorization.k8s.io";
const args = (environment: string, more: Partial<EnvironmentAccessArgs>): EnvironmentAccessArgs => ({
  namespace: environment, environment, previewAccess: false, qaAdmin: false, appName: "myapp", access: ACCESS, server: "https://k8s.example.test:6443", ...more,
});
async function access(environment: string, more: Partial<EnvironmentAccessArgs> = {}) {
  const run = await construct(() => new EnvironmentAccess(environment, args(environment, more)));
  const bindings = run.resources.filter((r) => r.type === BINDING);
  return { ...run, binding: (name: string) => bindings.find((b) => b.inputs.metadata.name === name)!, bindings };
}

describe("EnvironmentAccess", () => {
  it("gives a preview's developers the feature-developer role and the preview deployer its Secrets, in that namespace only", async () => {
    const { binding, bindings, urn, outputs, component } = await access("feature-pr-7", { previewAccess: true, server: undefined });
    assert.deepStrictEqual(bindings.map((b) => b.inputs.metadata.name).sort(), ["developers", "preview-deployer-secrets"]);
    for (const b of bindings) assert.strictEqual(b.parent, urn, b.name);
    assert.strictEqual(binding("developers").inputs.metadata.namespace, "feature-pr-7");
    assert.deepStrictEqual(binding("developers").inputs.roleRef, { apiGroup: RBAC, kind: "ClusterRole", name: "team-feature-developer" });
    assert.deepStrictEqual(binding("developers").inputs.subjects, [
      { kind: "Group", name: "developers", apiGroup: RBAC },
      { kind: "User", name: "dana", apiGroup: RBAC },
    ]);
    assert.deepStrictEqual(binding("preview-deployer-secrets").inputs.roleRef, { apiGroup: RBAC, kind: "ClusterRole", name: "team-preview-deployer-secrets" });
    assert.deepStrictEqual(binding("preview-deployer-secrets").inputs.subjects, [{ kind: "ServiceAccount", name: "preview-deployer", namespace: "team-ci" }]);
    assert.strictEqual(component.deployer, undefined, "a preview has no deployer of its own");
    assert.deepStrictEqual(outputs, { developerBinding: "developers", deployerSecretsBinding: "preview-deployer-secrets" });
  });

  it("gives qa a CI deployer and a QA admin Role bound to the QA engineers", async () => {
    const { resources, binding, urn, outputs } = await access("qa", { qaAdmin: true });
    const [deployer] = childrenOf(resources, urn, "team-environments:k8s:ServiceAccountIdentity");
    assert.strictEqual(deployer.name, "qa-deployer");
    assert.strictEqual(childrenOf(resources, deployer.urn, "kubernetes:core/v1:ServiceAccount")[0].inputs.metadata.name, "ci-deployer");
    const [qaRole] = childrenOf(resources, urn, "kubernetes:rbac.authorization.k8s.io/v1:Role");
    assert.strictEqual(qaRole.inputs.metadata.name, "qa-admin");
    assert.deepStrictEqual(binding("qa-admin").inputs.roleRef, { apiGroup: RBAC, kind: "Role", name: "qa-admin" });
    assert.deepStrictEqual(binding("qa-admin").inputs.subjects, [{ kind: "Group", name: "qa-engineers", apiGroup: RBAC }]);
    assert.strictEqual(binding("developers"), undefined, "developers do not edit qa");
    assert.deepStrictEqual(outputs, { deployerServiceAccount: "ci-deployer", qaRole: "qa-admin" });
  });

  it("binds no human in staging: only the CI deployer", async () => {
    const { bindings } = await access("staging");
    const humans = bindings.flatMap((b) => b.inputs.subjects).filter((s: any) => s.kind !== "ServiceAccount");
    assert.deepStrictEqual(humans, []);
    assert.deepStrictEqual(bindings.map((b) => b.inputs.metadata.name), ["ci-deployer"], "the deployer's own RoleBinding");
  });

  it("binds the deployer Role to the environment's GitHub OIDC user when a repository is given", async () => {
    const { binding, urn, outputs } = await access("production", { ciOidcRepository: "acme/shop" });
    assert.strictEqual(outputs.oidcBinding, "ci-deployer-oidc");
    const oidc = binding("ci-deployer-oidc");
    assert.strictEqual(oidc.parent, urn);
    assert.deepStrictEqual(oidc.inputs.roleRef, { apiGroup: RBAC, kind: "Role", name: "ci-deployer" });
    assert.deepStrictEqual(oidc.inputs.subjects, [{ kind: "User", name: "github:acme/shop:production", apiGroup: RBAC }]);
  });

  it("fails when a long-lived environment has no API server for its deployer's kubeconfig", async () => {
    await assert.rejects(construct(() => new EnvironmentAccess("staging", args("staging", { server: undefined }))), {
      message: "staging: server is required for staging's CI deployer kubeconfig (only previews, previewAccess: true, have no deployer)",
    });
  });
});
