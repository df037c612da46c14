import * as assert from "assert";
import { AlertRouting, AlertRoutingArgs } from "../../components/alert-routing";
import { baseLabels } from "../../policy/conventions";
import { construct, created } from "../support/component";

const ARGS: AlertRoutingArgs = {
  namespace: "monitoring",
  appName: "myapp",
  environments: [
    { environment: "staging", severity: "warning" },
    { environment: "production", severity: "critical" },
  ],
  receivers: {
    paging: { type: "pagerduty", routingKey: "pd-routing-key" },
    chat: { type: "slack", webhookUrl: "https://hooks.slack.test/T000/B000", channel: "#alerts" },
  },
};

describe("AlertRouting", () => {
  it("ships the Alertmanager configuration as a Secret in monitoring, under alertmanager.yaml", async () => {
    const { resources, urn } = await construct(() => new AlertRouting("cluster-alert-routing", ARGS));
    const secret = created(resources, "kubernetes:core/v1:Secret", "cluster-alert-routing-config");
    assert.strictEqual(secret.parent, urn);
    assert.deepStrictEqual(secret.inputs.metadata, {
      name: "myapp-alertmanager",
      namespace: "monitoring",
      labels: { ...baseLabels("myapp", "monitoring"), role: "alert-routing" },
    });
    assert.strictEqual(secret.inputs.type, "Opaque");
    assert.deepStrictEqual(Object.keys(secret.inputs.stringData), ["alertmanager.yaml"]);
    const config = JSON.parse(secret.inputs.stringData["alertmanager.yaml"]);
    assert.strictEqual(config.route.receiver, "silent", "unmatched alerts (qa, previews) are dropped");
    assert.deepStrictEqual(config.route.routes, [
      { receiver: "paging", matchers: ['environment="production"', 'severity="critical"'] },
      { receiver: "chat", matchers: ['environment=~"staging|production"'] },
    ]);
    const paging = config.receivers.find((r: any) => r.name === "paging");
    assert.strictEqual(paging.pagerduty_configs[0].routing_key, "pd-routing-key");
  });

  it("registers the Secret's name and one route per line, without any secret", async () => {
    const { component, outputs } = await construct(() => new AlertRouting("cluster-alert-routing", ARGS));
    assert.deepStrictEqual(outputs, {
      secretName: "myapp-alertmanager",
      routes: [
        "production critical → paging (pagerduty)",
        "staging, production other alerts → chat (slack)",
        "everything else → silent",
      ],
    });
    assert.deepStrictEqual(component.routes, outputs.routes);
    assert.ok(!JSON.stringify(outputs).includes("pd-routing-key") && !JSON.stringify(outputs).includes("hooks.slack"));
  });
});
