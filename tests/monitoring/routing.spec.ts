/**
 * Alert routing as Alertmanager reads it: the configuration the cluster stack renders (under
 * mocks, with receivers from stack config) passes `amtool check-config`, and `amtool config routes
 * test` sends each environment's alert labels to the receiver the product promises: production
 * critical pages, staging (and any non-critical alert of an alerting environment) goes to chat,
 * qa, previews and anything else are silent.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseSettings } from "../../config";
import { alertmanagerConfig, routingSummary } from "../../monitoring/routing";
import { isWireSecret } from "../support/mocks";
import { monitoringTools, runTool } from "../support/monitoring-tools";
import { ofType, resolvedExports, runProgram } from "../support/program";

const RECEIVERS = {
  paging: { type: "pagerduty", routingKey: "0123456789abcdef0123456789abcdef" },
  chat: { type: "slack", webhookUrl: "https://hooks.slack.example/services/T000/B000/XXXX", channel: "#staging-alerts" },
};

describe("alert routing, checked by amtool", function () {
  this.timeout(180_000);
  let amtool: string;
  let dir: string;
  let file: string;
  let secretWire: unknown;
  let outputs: Record<string, any>;

  before(async () => {
    amtool = monitoringTools().amtool;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "routing-"));
    const run = await runProgram("cluster", { alertReceivers: RECEIVERS });
    const secret = ofType(run, "kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name === "myapp-alertmanager");
    assert.ok(secret, "the cluster stack ships myapp-alertmanager");
    assert.strictEqual(secret.inputs.metadata.namespace, "monitoring");
    secretWire = secret.wireInputs.stringData;
    file = path.join(dir, "alertmanager.yaml");
    fs.writeFileSync(file, secret.inputs.stringData["alertmanager.yaml"]);
    outputs = await resolvedExports(run);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** `amtool config routes test` of the rendered file for these alert labels, with extra flags. */
  const route = (labels: Record<string, string>, ...flags: string[]) =>
    runTool(amtool, ["config", "routes", "test", `--config.file=${file}`, ...flags, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)], dir);

  it("is a configuration amtool accepts, with the receivers from stack config, sent as a secret", () => {
    const r = runTool(amtool, ["check-config", file], dir);
    assert.strictEqual(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS/);
    assert.match(r.output, /3 receivers/);
    assert.ok(isWireSecret(secretWire) || isWireSecret((secretWire as Record<string, unknown>)["alertmanager.yaml"]), "config sent as a secret");
    const text = fs.readFileSync(file, "utf8");
    assert.match(text, /"routing_key": "0123456789abcdef0123456789abcdef"/);
    assert.match(text, /"channel": "#staging-alerts"/);
  });

  const cases: [Record<string, string>, string][] = [
    [{ environment: "production", severity: "critical", alertname: "HighErrorRate", service: "core-api" }, "paging"],
    [{ environment: "production", severity: "warning", alertname: "Anything" }, "chat"],
    [{ environment: "staging", severity: "warning", alertname: "HighErrorRate", service: "core-api" }, "chat"],
    // Staging never pages, whatever a rule says.
    [{ environment: "staging", severity: "critical", alertname: "HighErrorRate" }, "chat"],
    [{ environment: "qa", severity: "critical", alertname: "HighErrorRate" }, "silent"],
    [{ environment: "feature-pr-42", severity: "critical", alertname: "PodCrashLooping" }, "silent"],
    [{ severity: "critical", alertname: "NoEnvironment" }, "silent"],
    // An environment whose name merely contains "production" is not production.
    [{ environment: "production-copy", severity: "critical", alertname: "HighErrorRate" }, "silent"],
  ];
  for (const [labels, receiver] of cases) {
    it(`routes ${JSON.stringify(labels)} to ${receiver}`, () => {
      const r = route(labels);
      assert.strictEqual(r.code, 0, r.output);
      assert.strictEqual(r.stdout.trim(), receiver, r.output);
      // amtool's own verification agrees, and refuses a wrong expectation (the check can fail).
      assert.strictEqual(route(labels, `--verify.receivers=${receiver}`).code, 0);
      const wrong = receiver === "silent" ? "paging" : "silent";
      assert.notStrictEqual(route(labels, `--verify.receivers=${wrong}`).code, 0);
    });
  }

  it("says in the stack outputs where each route goes, without a secret", () => {
    assert.deepStrictEqual(outputs.alertRoutes, [
      "production critical → paging (pagerduty)",
      "staging, production other alerts → chat (slack)",
      "everything else → silent",
    ]);
    assert.doesNotMatch(JSON.stringify(outputs.alertRoutes), /0123456789abcdef|hooks\.slack/);
  });

  it("with only a chat target, production's pages go to chat rather than nowhere", () => {
    const onlyChat = path.join(dir, "only-chat.yaml");
    const config = { environments: [{ environment: "production", severity: "critical" as const }, { environment: "staging", severity: "warning" as const }], receivers: { chat: { type: "webhook" as const, url: "https://x.example/hook" } } };
    fs.writeFileSync(onlyChat, JSON.stringify(alertmanagerConfig(config)));
    assert.strictEqual(runTool(amtool, ["check-config", onlyChat], dir).code, 0);
    const r = runTool(amtool, ["config", "routes", "test", `--config.file=${onlyChat}`, "environment=production", "severity=critical"], dir);
    assert.strictEqual(r.stdout.trim(), "chat", r.output);
    assert.match(routingSummary(config)[0], /^production critical → chat \(webhook; paging not configured\)$/);
  });

  it("without receivers in config: the same routes, receivers with no target (amtool still accepts it)", () => {
    const bare = path.join(dir, "bare.yaml");
    const settings = parseSettings("cluster", {});
    assert.ok(settings.kind === "cluster");
    fs.writeFileSync(bare, JSON.stringify(alertmanagerConfig(settings.cluster.alerting)));
    assert.strictEqual(runTool(amtool, ["check-config", bare], dir).code, 0);
    const r = runTool(amtool, ["config", "routes", "test", `--config.file=${bare}`, "environment=production", "severity=critical"], dir);
    assert.strictEqual(r.stdout.trim(), "paging", r.output);
  });
});
