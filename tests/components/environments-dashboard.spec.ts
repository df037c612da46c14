import * as assert from "assert";
import { EnvironmentsDashboard, EnvironmentsDashboardArgs } from "../../components/environments-dashboard";
import { baseLabels } from "../../policy/conventions";
import { construct, created } from "../support/component";

const ARGS: EnvironmentsDashboardArgs = {
  namespace: "monitoring",
  appName: "myapp",
  services: ["pwa", "api-gateway", "core-api", "auth"],
  environments: ["production", "staging", "qa"],
  previewPattern: "feature-pr-[1-9][0-9]{0,8}",
};

describe("EnvironmentsDashboard", () => {
  it("ships the dashboard as a ConfigMap in monitoring that Grafana's sidecar loads", async () => {
    const { resources, urn } = await construct(() => new EnvironmentsDashboard("cluster-environments-dashboard", ARGS));
    const cm = created(resources, "kubernetes:core/v1:ConfigMap", "cluster-environments-dashboard-dashboard");
    assert.strictEqual(cm.parent, urn);
    assert.deepStrictEqual(cm.inputs.metadata, {
      name: "myapp-environments-dashboard",
      namespace: "monitoring",
      labels: { ...baseLabels("myapp", "monitoring"), grafana_dashboard: "1" },
    });
    assert.deepStrictEqual(Object.keys(cm.inputs.data), ["myapp-environments.json"]);
    const dashboard = JSON.parse(cm.inputs.data["myapp-environments.json"]);
    assert.strictEqual(dashboard.uid, "myapp-environments");
    const variable = dashboard.templating.list.find((v: any) => v.name === "namespace");
    assert.strictEqual(variable.regex, "/^(production|staging|qa|feature-pr-[1-9][0-9]{0,8})$/");
    assert.strictEqual(variable.current.value, "production", "the first environment is the default");
    const rows = dashboard.panels.filter((p: any) => p.type === "row").map((p: any) => p.title);
    for (const service of ARGS.services) assert.ok(rows.some((t: string) => t.includes(service)), `a row for ${service}`);
  });

  it("registers the ConfigMap's name and the dashboard file", async () => {
    const { outputs } = await construct(() => new EnvironmentsDashboard("cluster-environments-dashboard", ARGS));
    assert.deepStrictEqual(outputs, { configMapName: "myapp-environments-dashboard", file: "myapp-environments.json" });
  });

  it("fails when there is no environment to pick", async () => {
    await assert.rejects(construct(() => new EnvironmentsDashboard("cluster-environments-dashboard", { ...ARGS, environments: [] })), {
      message: "dashboard: no environments",
    });
  });
});
