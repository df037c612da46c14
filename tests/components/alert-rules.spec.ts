import * as assert from "assert";
import { AlertRules, AlertRulesArgs } from "../../components/alert-rules";
import { baseLabels } from "../../policy/conventions";
import { construct, created } from "../support/component";

const ARGS: AlertRulesArgs = {
  namespace: "production",
  environment: "production",
  appName: "myapp",
  policy: { severity: "critical", errorRate: { threshold: 0.05, for: "2m" } },
  services: ["pwa", "core-api"],
};
const build = (args: Partial<AlertRulesArgs> = {}) => () => new AlertRules("production-alerts", { ...ARGS, ...args });

describe("AlertRules", () => {
  it("puts one PrometheusRule in the environment's namespace, labelled with severity and environment", async () => {
    const { resources, urn } = await construct(build());
    const rule = created(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "production-alerts-rule");
    assert.strictEqual(rule.parent, urn);
    assert.strictEqual(rule.inputs.apiVersion, "monitoring.coreos.com/v1");
    assert.strictEqual(rule.inputs.kind, "PrometheusRule");
    assert.deepStrictEqual(rule.inputs.metadata, {
      name: "myapp-alerts",
      namespace: "production",
      labels: { ...baseLabels("myapp", "production"), role: "alert-rules" },
    });
    const [group] = rule.inputs.spec.groups;
    assert.strictEqual(group.name, "myapp.production");
    assert.deepStrictEqual(group.rules.map((r: any) => r.alert), [
      "HighErrorRate", "HighLatency", "PodCrashLooping", "DeploymentReplicasUnavailable", "MigrationJobFailed",
    ]);
    for (const r of group.rules) assert.deepStrictEqual(r.labels, { severity: "critical", environment: "production" }, r.alert);
    const errorRate = group.rules[0];
    assert.strictEqual(errorRate.for, "2m");
    assert.match(errorRate.expr, /namespace="production"[\s\S]*> 0\.05$/);
    assert.match(group.rules[3].expr, /deployment=~"pwa\|core-api"/);
  });

  it("registers the rule's name as its output", async () => {
    const { outputs } = await construct(build());
    assert.deepStrictEqual(outputs, { ruleName: "myapp-alerts" });
  });

  it("fails when there is no service to watch", async () => {
    await assert.rejects(construct(build({ services: [] })), { message: "alerts of production: no services to watch" });
  });

  it("fails when the error-rate threshold is not a share between 0 and 1", async () => {
    const policy = { severity: "critical" as const, errorRate: { threshold: 5, for: "2m" } };
    await assert.rejects(construct(build({ policy })), { message: "alerts of production: error-rate threshold 5 is not a share between 0 and 1" });
  });

  it("fails when a service name is not a DNS label", async () => {
    await assert.rejects(construct(build({ services: ["core_api"] })), { message: 'alerts: service name "core_api" is not a DNS label' });
  });
});
