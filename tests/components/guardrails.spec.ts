import * as assert from "assert";
import { Guardrails, GuardrailsArgs } from "../../components/guardrails";
import { GuardrailSettings } from "../../config/settings";
import { construct, childrenOf, created } from "../support/component";

const QUOTA = { requestsCpu: "1", requestsMemory: "1Gi", limitsCpu: "2", limitsMemory: "2Gi", pods: 15, services: 10, persistentVolumeClaims: 0, requestsStorage: "0" };
const FEATURE: GuardrailSettings = {
  environment: "feature-pr-7", kind: "feature", quota: QUOTA, protect: false, previewAccess: true, qaAdmin: false,
  borrowsFromQa: true, admitsPreviews: false, dataRefreshEgress: false, appPorts: [8080], ingressPorts: [8080], databasePort: 5432,
};
const PRODUCTION: GuardrailSettings = { ...FEATURE, environment: "production", kind: "production", protect: true, previewAccess: false, borrowsFromQa: false };
const ACCESS = { developerGroups: ["developers"], developerUsers: [], qaGroups: ["qa-engineers"], qaUsers: [] };
const guardrails = (settings: GuardrailSettings, more: Partial<GuardrailsArgs> = {}) => () =>
  new Guardrails(settings.environment, { appName: "myapp", settings, access: ACCESS, server: "https://k8s.example.test:6443", ...more });

describe("Guardrails", () => {
  it("owns the namespace, its quota, its network isolation and its access, as children", async () => {
    const { resources, urn } = await construct(guardrails(FEATURE));
    assert.deepStrictEqual(childrenOf(resources, urn).map((r) => r.type).sort(), [
      "team-environments:k8s:EnvironmentAccess",
      "team-environments:k8s:EnvironmentNamespace",
      "team-environments:k8s:NetworkIsolation",
      "team-environments:k8s:Quota",
    ]);
    const ns = created(resources, "kubernetes:core/v1:Namespace", "feature-pr-7-namespace");
    assert.strictEqual(ns.inputs.metadata.labels["team-environments.dev/kind"], "feature");
    assert.strictEqual(ns.protect, false);
  });

  it("puts every namespaced object in the namespace, after it exists", async () => {
    const { resources } = await construct(guardrails(FEATURE));
    const ns = created(resources, "kubernetes:core/v1:Namespace", "feature-pr-7-namespace");
    const namespaced = resources.filter((r) => r.custom && r.type !== "kubernetes:core/v1:Namespace");
    assert.ok(namespaced.length >= 9, `quota, limits, policies and bindings (${namespaced.length})`);
    for (const r of namespaced) {
      assert.strictEqual(r.inputs.metadata.namespace, "feature-pr-7", r.name);
      assert.ok(r.dependencies.includes(ns.urn), `${r.name} waits for the namespace`);
    }
    assert.strictEqual(created(resources, "kubernetes:core/v1:ResourceQuota", "feature-pr-7-quota").inputs.spec.hard.pods, "15");
  });

  it("gives production a protected namespace and a CI deployer bound to its OIDC user", async () => {
    const { resources } = await construct(guardrails(PRODUCTION, { ciOidcRepository: "acme/shop" }));
    assert.strictEqual(created(resources, "kubernetes:core/v1:Namespace", "production-namespace").protect, true);
    const oidc = created(resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "production-deployer-oidc");
    assert.deepStrictEqual(oidc.inputs.subjects.map((s: any) => s.name), ["github:acme/shop:production"]);
    const identity = created(resources, "team-environments:k8s:ServiceAccountIdentity", "production-deployer");
    const [sa] = childrenOf(resources, identity.urn, "kubernetes:core/v1:ServiceAccount");
    assert.strictEqual(sa.inputs.metadata.namespace, "production");
  });

  it("registers the namespace's name", async () => {
    const { outputs } = await construct(guardrails(FEATURE));
    assert.deepStrictEqual(outputs, { namespace: "feature-pr-7" });
  });
});
