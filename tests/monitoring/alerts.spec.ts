/**
 * The alerts as Prometheus evaluates them: the PrometheusRules the program renders for staging and
 * production (run under mocks) go through `promtool check rules`, then `promtool test rules` with
 * synthetic series: each alert fires at its threshold after its `for:` and not before or below
 * it, with the environment's severity, and a series from another namespace never fires it.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ALERT_NAMES, AlertingRule, RuleGroup, percent } from "../../monitoring/alerts";
import { monitoringTools, runTool } from "../support/monitoring-tools";
import { ofType, runProgram } from "../support/program";

const RULE_TYPE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";

/** The rule groups the program renders for a stack. */
async function renderedGroups(stack: string): Promise<RuleGroup[]> {
  const rules = ofType(await runProgram(stack), RULE_TYPE);
  assert.strictEqual(rules.length, 1, `${stack}: one PrometheusRule`);
  return rules[0].inputs.spec.groups as RuleGroup[];
}

/** A series in the exposition syntax promtool reads. */
function series(metric: string, labels: Record<string, string>, values: string) {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");
  return { series: `${metric}{${body}}`, values };
}

/** Requests per minute of one service, `errors` of every 100 answered 500. */
function traffic(namespace: string, service: string, errorsPer100: number) {
  return [
    series("http_requests_total", { namespace, service, status: "200" }, `0+${100 - errorsPer100}x40`),
    series("http_requests_total", { namespace, service, status: "500" }, `0+${errorsPer100}x40`),
  ];
}

/** One alert as promtool expects it: the rule's labels and annotations with `{{ $labels.x }}` expanded. */
function expected(rule: AlertingRule, labels: Record<string, string>) {
  const expand = (text: string) => text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, k: string) => labels[k] ?? "");
  return {
    exp_labels: { ...rule.labels, ...labels },
    exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, expand(v)])),
  };
}

describe("alerts, evaluated by promtool", function () {
  // The first run fetches Debian's prometheus and alertmanager packages into the cache.
  this.timeout(180_000);
  let promtool: string;
  let dir: string;
  const groups: Record<string, RuleGroup[]> = {};

  before(async () => {
    promtool = monitoringTools().promtool;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "alerts-"));
    for (const env of ["staging", "production"]) {
      groups[env] = await renderedGroups(env);
      // A JSON document is a YAML document: the file holds exactly the PrometheusRule's spec.
      fs.writeFileSync(path.join(dir, `${env}.rules.yaml`), JSON.stringify({ groups: groups[env] }, null, 2));
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const rule = (env: string, alert: string): AlertingRule => {
    const found = groups[env][0].rules.find((r) => r.alert === alert);
    assert.ok(found, `${env} has ${alert}`);
    return found;
  };

  /** Writes a promtool test file for one environment's rules and runs it. */
  function promtoolTest(env: string, name: string, tests: unknown[]) {
    const file = path.join(dir, `${env}-${name}.test.yaml`);
    fs.writeFileSync(file, JSON.stringify({ rule_files: [`${env}.rules.yaml`], evaluation_interval: "1m", tests }, null, 2));
    return runTool(promtool, ["test", "rules", path.basename(file)], dir);
  }
  const passes = (env: string, name: string, tests: unknown[]) => {
    const r = promtoolTest(env, name, tests);
    assert.strictEqual(r.code, 0, `promtool test rules (${env}, ${name}):\n${r.output}`);
  };

  it("renders valid rule files with every alert in both environments", () => {
    for (const env of ["staging", "production"]) {
      const r = runTool(promtool, ["check", "rules", `${env}.rules.yaml`], dir);
      assert.strictEqual(r.code, 0, r.output);
      assert.match(r.output, new RegExp(`SUCCESS: ${ALERT_NAMES.length} rules found`));
    }
  });

  it("a broken expression is refused by promtool check rules (the check can fail)", () => {
    const broken = { groups: [{ ...groups.production[0], rules: [{ ...groups.production[0].rules[0], expr: "sum(rate(x[5m]) >" }] }] };
    fs.writeFileSync(path.join(dir, "broken.rules.yaml"), JSON.stringify(broken));
    const r = runTool(promtool, ["check", "rules", "broken.rules.yaml"], dir);
    assert.notStrictEqual(r.code, 0);
    assert.match(r.output, /FAILED/);
  });

  it("production: HighErrorRate pages above 5% after 2 minutes, not before, not below, not from another namespace", () => {
    const high = rule("production", "HighErrorRate");
    assert.strictEqual(high.for, "2m");
    assert.match(high.annotations.summary, new RegExp(percent(0.05)));
    passes("production", "error-rate", [
      {
        interval: "1m",
        // 6% in production; 50% in staging and qa must not fire production's alert.
        input_series: [...traffic("production", "core-api", 6), ...traffic("staging", "core-api", 50), ...traffic("qa", "auth", 50)],
        alert_rule_test: [
          { eval_time: "2m", alertname: "HighErrorRate", exp_alerts: [] },
          { eval_time: "10m", alertname: "HighErrorRate", exp_alerts: [expected(high, { service: "core-api" })] },
        ],
      },
      {
        interval: "1m",
        input_series: [...traffic("production", "core-api", 4)],
        alert_rule_test: [
          { eval_time: "10m", alertname: "HighErrorRate", exp_alerts: [] },
          { eval_time: "30m", alertname: "HighErrorRate", exp_alerts: [] },
        ],
      },
    ]);
  });

  it("a wrong expectation fails promtool test rules (the test can fail)", () => {
    const high = rule("production", "HighErrorRate");
    const r = promtoolTest("production", "wrong", [
      {
        interval: "1m",
        input_series: [...traffic("production", "core-api", 4)],
        alert_rule_test: [{ eval_time: "10m", alertname: "HighErrorRate", exp_alerts: [expected(high, { service: "core-api" })] }],
      },
    ]);
    assert.notStrictEqual(r.code, 0);
    assert.match(r.output, /FAILED/);
  });

  it("production: crash looping, latency, unavailable replicas and failed migrations page after their wait", () => {
    const restarts = (namespace: string, pod: string, values: string) =>
      series("kube_pod_container_status_restarts_total", { namespace, pod, container: "core-api" }, values);
    const bucket = (service: string, le: string, perMinute: number) =>
      series("http_request_duration_seconds_bucket", { namespace: "production", service, le }, `0+${perMinute}x40`);
    passes("production", "workloads", [
      {
        interval: "1m",
        input_series: [
          restarts("production", "core-api-7f9c-abcde", "0+1x40"),
          // One restart in 15 minutes is no loop; a loop in qa is not production's.
          restarts("production", "core-api-7f9c-fghij", "0 1x40"),
          restarts("qa", "core-api-5d4e-klmno", "0+1x40"),
          // auth: 98% of requests take 1–2.5 s; pwa answers everything under 0.5 s.
          bucket("auth", "0.5", 1),
          bucket("auth", "1", 2),
          bucket("auth", "2.5", 100),
          bucket("auth", "+Inf", 100),
          bucket("pwa", "0.5", 100),
          bucket("pwa", "1", 100),
          bucket("pwa", "+Inf", 100),
          series("kube_deployment_status_replicas_unavailable", { namespace: "production", deployment: "core-api" }, "1x40"),
          // Not a catalogue Deployment: not the app's alert.
          series("kube_deployment_status_replicas_unavailable", { namespace: "production", deployment: "debug-shell" }, "1x40"),
          series("kube_job_failed", { namespace: "production", job_name: "core-api-migrate-1a2b3c4d", condition: "true" }, "0 0 1x40"),
          // auth's migration failed one pod and then succeeded on retry: its Job is not Failed.
          series("kube_job_status_failed", { namespace: "production", job_name: "auth-migrate-5e6f7a8b" }, "0 1x40"),
          series("kube_job_failed", { namespace: "production", job_name: "auth-migrate-5e6f7a8b", condition: "true" }, "0x40"),
          series("kube_job_failed", { namespace: "production", job_name: "auth-migrate-5e6f7a8b", condition: "false" }, "1x40"),
        ],
        alert_rule_test: [
          { eval_time: "4m", alertname: "PodCrashLooping", exp_alerts: [] },
          {
            eval_time: "20m",
            alertname: "PodCrashLooping",
            exp_alerts: [expected(rule("production", "PodCrashLooping"), { pod: "core-api-7f9c-abcde", container: "core-api" })],
          },
          { eval_time: "5m", alertname: "HighLatency", exp_alerts: [] },
          { eval_time: "20m", alertname: "HighLatency", exp_alerts: [expected(rule("production", "HighLatency"), { service: "auth" })] },
          { eval_time: "9m", alertname: "DeploymentReplicasUnavailable", exp_alerts: [] },
          {
            eval_time: "20m",
            alertname: "DeploymentReplicasUnavailable",
            exp_alerts: [expected(rule("production", "DeploymentReplicasUnavailable"), { deployment: "core-api" })],
          },
          {
            eval_time: "10m",
            alertname: "MigrationJobFailed",
            exp_alerts: [expected(rule("production", "MigrationJobFailed"), { job_name: "core-api-migrate-1a2b3c4d" })],
          },
        ],
      },
    ]);
    for (const alert of ALERT_NAMES) assert.strictEqual(rule("production", alert).labels.severity, "critical", alert);
  });

  it("staging: warns above 10% after 5 minutes, never pages, and stays quiet at 8% (which would page production)", () => {
    const high = rule("staging", "HighErrorRate");
    assert.strictEqual(high.for, "5m");
    for (const alert of ALERT_NAMES) assert.strictEqual(rule("staging", alert).labels.severity, "warning", alert);
    passes("staging", "error-rate", [
      {
        interval: "1m",
        input_series: [...traffic("staging", "api-gateway", 11), ...traffic("production", "api-gateway", 50)],
        alert_rule_test: [
          { eval_time: "4m", alertname: "HighErrorRate", exp_alerts: [] },
          { eval_time: "10m", alertname: "HighErrorRate", exp_alerts: [expected(high, { service: "api-gateway" })] },
        ],
      },
      {
        interval: "1m",
        input_series: [...traffic("staging", "api-gateway", 8)],
        alert_rule_test: [{ eval_time: "30m", alertname: "HighErrorRate", exp_alerts: [] }],
      },
    ]);
  });
});
