import * as assert from "assert";
import { NetworkIsolation } from "../../components/network-isolation";
import { GuardrailSettings } from "../../config/settings";
import { construct } from "../support/component";
import { RecordedResource } from "../support/mocks";

const QUOTA = { requestsCpu: "1", requestsMemory: "1Gi", limitsCpu: "2", limitsMemory: "2Gi", pods: 15, services: 10, persistentVolumeClaims: 0, requestsStorage: "0" };
const FEATURE: GuardrailSettings = {
  environment: "feature-pr-7", kind: "feature", quota: QUOTA, protect: false, previewAccess: true, qaAdmin: false,
  borrowsFromQa: true, admitsPreviews: false, dataRefreshEgress: false, appPorts: [8080], ingressPorts: [8080], databasePort: 5432,
};
const QA: GuardrailSettings = { ...FEATURE, environment: "qa", kind: "qa", previewAccess: false, qaAdmin: true, borrowsFromQa: false, admitsPreviews: true };
const STAGING: GuardrailSettings = { ...QA, environment: "staging", kind: "staging", qaAdmin: false, admitsPreviews: false, dataRefreshEgress: true };

async function isolate(guardrails: GuardrailSettings) {
  const { resources, urn, outputs } = await construct(() => new NetworkIsolation(guardrails.environment, { namespace: guardrails.environment, appName: "myapp", guardrails }));
  const policies = resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy");
  const policy = (name: string): RecordedResource => policies.find((p) => p.inputs.metadata.name === name)!;
  return { policies, policy, urn, outputs };
}
const BASE = ["default-deny", "allow-dns", "allow-app-internal", "allow-ingress-controller", "allow-prometheus-scrape"];
const APP = { "app.kubernetes.io/part-of": "myapp" };

describe("NetworkIsolation", () => {
  it("denies all traffic by default, then allows DNS, the app to itself (database included), ingress and scraping", async () => {
    const { policies, policy, urn } = await isolate(STAGING);
    for (const p of policies) {
      assert.strictEqual(p.parent, urn, p.name);
      assert.strictEqual(p.inputs.metadata.namespace, "staging", p.name);
    }
    assert.deepStrictEqual(policy("default-deny").inputs.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    assert.deepStrictEqual(policy("allow-dns").inputs.spec.egress[0].ports, [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }]);
    const internal = policy("allow-app-internal").inputs.spec;
    assert.deepStrictEqual(internal.podSelector, { matchLabels: APP });
    assert.deepStrictEqual(internal.ingress, [{ from: [{ podSelector: { matchLabels: APP } }], ports: [{ protocol: "TCP", port: 8080 }, { protocol: "TCP", port: 5432 }] }]);
    const ingress = policy("allow-ingress-controller").inputs.spec.ingress[0];
    assert.deepStrictEqual(ingress.from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "traefik" } } }]);
    const scrape = policy("allow-prometheus-scrape").inputs.spec;
    assert.deepStrictEqual(scrape.ingress[0].ports, [{ protocol: "TCP", port: 8080 }], "Prometheus scrapes the app port, never the database");
  });

  it("lets a preview call qa's serving pods, and nothing else outside", async () => {
    const { policy, outputs } = await isolate(FEATURE);
    assert.deepStrictEqual(outputs.policies, [...BASE, "allow-egress-to-qa"]);
    const [egress] = policy("allow-egress-to-qa").inputs.spec.egress;
    assert.deepStrictEqual(egress.to[0].namespaceSelector, { matchLabels: { "kubernetes.io/metadata.name": "qa" } });
    assert.deepStrictEqual(egress.to[0].podSelector.matchExpressions, [{ key: "app.kubernetes.io/component", operator: "In", values: ["web", "api"] }]);
    assert.deepStrictEqual(egress.ports, [{ protocol: "TCP", port: 8080 }], "not the qa database");
  });

  it("admits previews into qa's serving pods on the app ports only", async () => {
    const { policy, outputs } = await isolate(QA);
    assert.deepStrictEqual(outputs.policies, [...BASE, "allow-ingress-from-previews"]);
    const spec = policy("allow-ingress-from-previews").inputs.spec;
    assert.deepStrictEqual(spec.ingress, [{ from: [{ namespaceSelector: { matchLabels: { "team-environments.dev/kind": "feature" } } }], ports: [{ protocol: "TCP", port: 8080 }] }]);
    assert.deepStrictEqual(spec.podSelector.matchExpressions[0].values, ["web", "api"]);
  });

  it("lets staging's data refresh reach public addresses on 443 only", async () => {
    const { policy, outputs } = await isolate(STAGING);
    assert.deepStrictEqual(outputs.policies, [...BASE, "allow-data-refresh-egress"]);
    const spec = policy("allow-data-refresh-egress").inputs.spec;
    assert.deepStrictEqual(spec.podSelector, { matchLabels: { ...APP, "app.kubernetes.io/component": "data-refresh" } });
    assert.deepStrictEqual(spec.egress, [
      { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }], ports: [{ protocol: "TCP", port: 443 }] },
    ]);
  });
});
