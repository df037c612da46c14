import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ClusterPlatform } from "../../components/cluster-platform";
import { ClusterSettings } from "../../config/settings";
import { childrenOf, clusterSettings, construct, created } from "../support/component";

const GITHUB = { enabled: true, owner: "acme", repository: "shop", qaReviewers: { teams: ["qa"] }, releaseApprovers: { teams: ["release-managers"] } };
const platform = (settings: ClusterSettings) => () => new ClusterPlatform("cluster", { settings });

describe("ClusterPlatform", () => {
  it("owns cluster access, monitoring, and the guardrails of qa, staging and production", async () => {
    const { resources, urn, component } = await construct(platform(clusterSettings()));
    const children = (type: string) => childrenOf(resources, urn, type).map((r) => r.name);
    assert.deepStrictEqual(children("team-environments:k8s:ClusterAccess"), ["cluster-access"]);
    assert.deepStrictEqual(children("team-environments:k8s:Guardrails").sort(), ["production", "qa", "staging"]);
    assert.deepStrictEqual(children("team-environments:k8s:AlertRouting"), ["cluster-alert-routing"]);
    assert.deepStrictEqual(children("team-environments:k8s:EnvironmentsDashboard"), ["cluster-environments-dashboard"]);
    assert.strictEqual(created(resources, "kubernetes:core/v1:Namespace", "production-namespace").protect, true);
    assert.strictEqual(component.github, undefined);
    assert.deepStrictEqual(resources.filter((r) => r.type.startsWith("github:")), [], "GitHub integration is off by default");
  });

  it("isolates the monitoring namespace at baseline Pod Security, letting Prometheus scrape out and everyone resolve DNS", async () => {
    const { resources, urn } = await construct(platform(clusterSettings()));
    const ns = created(resources, "kubernetes:core/v1:Namespace", "cluster-monitoring-namespace").inputs.metadata;
    assert.deepStrictEqual([ns.name, ns.labels["pod-security.kubernetes.io/enforce"]], ["monitoring", "baseline"]);
    const policies = childrenOf(resources, urn, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    assert.deepStrictEqual(policies.map((p) => p.inputs.metadata.name).sort(), ["allow-dns", "allow-prometheus-egress", "default-deny"]);
    assert.ok(policies.every((p) => p.inputs.metadata.namespace === "monitoring"));
    const egress = policies.find((p) => p.inputs.metadata.name === "allow-prometheus-egress")!.inputs.spec;
    assert.deepStrictEqual(egress.podSelector, { matchLabels: { "app.kubernetes.io/name": "prometheus" } });
    assert.deepStrictEqual(egress.egress[1].ports, [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 6443 }]);
    assert.strictEqual(created(resources, "kubernetes:core/v1:Secret", "cluster-alert-routing-config").inputs.metadata.namespace, "monitoring");
  });

  it("registers the environments, where each CI credential went, and the kubeconfigs as secrets", async () => {
    const { component, outputs } = await construct(platform(clusterSettings()));
    assert.deepStrictEqual(outputs.environments, ["qa", "staging", "production"]);
    assert.deepStrictEqual(Object.keys(outputs.kubeconfigs).sort(), ["drift", "previews", "production", "qa", "staging"]);
    assert.strictEqual(JSON.parse(outputs.kubeconfigs.production).contexts[0].context.namespace, "production");
    assert.ok(await pulumi.isSecret(component.kubeconfigs.production));
    assert.match(outputs.ciCredentials.production, /^stack output kubeconfigs\.production \(GitHub integration off: github\.enabled is not true/);
    assert.match(outputs.ciCredentials.drift, /drift-cluster, drift-qa, drift-staging, drift-production/);
  });

  it("with GitHub on, stores each credential in its GitHub environment and prefers the OIDC user", async () => {
    const settings = clusterSettings({ github: JSON.stringify(GITHUB), ciOidcRepository: "acme/shop" });
    const { resources, urn, outputs } = await construct(platform(settings));
    const [gh] = childrenOf(resources, urn, "team-environments:github:GitHubEnvironments");
    const environments = childrenOf(resources, gh.urn, "github:index/repositoryEnvironment:RepositoryEnvironment").map((e) => e.inputs.environment);
    assert.deepStrictEqual(environments.sort(), ["drift-cluster", "drift-production", "drift-qa", "drift-staging", "preview", "production", "qa", "staging"]);
    assert.strictEqual(outputs.ciCredentials.previews, "github:acme/shop/environments/preview/secrets/KUBECONFIG");
    assert.strictEqual(
      outputs.ciCredentials.production,
      "GitHub OIDC user github:acme/shop:production (no secret; fallback: github:acme/shop/environments/production/secrets/KUBECONFIG)",
    );
    const oidc = created(resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "staging-deployer-oidc");
    assert.deepStrictEqual(oidc.inputs.subjects.map((s: any) => s.name), ["github:acme/shop:staging"]);
  });
});
