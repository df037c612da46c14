/**
 * The one dashboard, as the cluster stack ships it (under mocks): a ConfigMap the Grafana sidecar
 * loads, a `namespace` variable over the environments (default production, previews included,
 * system namespaces not), a row per catalogue service, and queries that are valid PromQL
 * (`promtool check rules`), scoped by the variable, reading only what the alerts read.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SERVICE_CATALOGUE } from "../../base/catalogue";
import { environmentsDashboard } from "../../monitoring/dashboard";
import { RuleGroup } from "../../monitoring/alerts";
import { monitoringTools, runTool } from "../support/monitoring-tools";
import { ofType, runProgram } from "../support/program";

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; refId: string }[];
}

/** Metric names in a PromQL expression (identifiers followed by a selector). */
function metricsOf(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]);
}

/** Label names an expression selects on or groups by. */
function labelsOf(expr: string): string[] {
  const matchers = [...expr.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((x) => x[1]));
  const grouping = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1].split(",").map((l) => l.trim()));
  return [...matchers, ...grouping];
}

describe("the environments dashboard", function () {
  this.timeout(180_000);
  let dashboard: any;
  let panels: Panel[];
  let alertExprs: string[];

  before(async () => {
    const cluster = await runProgram("cluster");
    const maps = ofType(cluster, "kubernetes:core/v1:ConfigMap").filter((c) => c.inputs.metadata.labels?.grafana_dashboard === "1");
    assert.strictEqual(maps.length, 1, "one dashboard ConfigMap labelled for the Grafana sidecar");
    assert.strictEqual(maps[0].inputs.metadata.namespace, "monitoring");
    const files = Object.values<string>(maps[0].inputs.data);
    assert.strictEqual(files.length, 1);
    dashboard = JSON.parse(files[0]);
    panels = dashboard.panels;
    const production = ofType(await runProgram("production"), "kubernetes:monitoring.coreos.com/v1:PrometheusRule")[0];
    alertExprs = (production.inputs.spec.groups as RuleGroup[]).flatMap((g) => g.rules.map((r) => r.expr));
  });

  const variable = () => dashboard.templating.list.find((v: { name: string }) => v.name === "namespace");
  const targets = () => panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  it("has a namespace variable over the environments, production by default, previews included", () => {
    const v = variable();
    assert.ok(v, "a namespace variable");
    assert.strictEqual(v.current.value, "production");
    const regex = new RegExp(v.regex.replace(/^\/(.*)\/$/, "$1"));
    for (const ns of ["production", "staging", "qa", "feature-pr-7", "feature-pr-123456789"]) assert.ok(regex.test(ns), ns);
    for (const ns of ["kube-system", "monitoring", "team-ci", "feature-pr-0", "production-copy", "xqa"]) assert.ok(!regex.test(ns), ns);
  });

  it("has a row per catalogue service with request rate, error rate, latency and restarts", () => {
    for (const s of SERVICE_CATALOGUE) {
      const row = panels.findIndex((p) => p.type === "row" && p.title === s.name);
      assert.ok(row >= 0, `row ${s.name}`);
      const graphs = panels.slice(row + 1, row + 5);
      assert.deepStrictEqual(
        graphs.map((g) => g.title),
        [`${s.name}: requests`, `${s.name}: error rate`, `${s.name}: latency`, `${s.name}: restarts (15m)`],
      );
      for (const g of graphs) for (const t of g.targets ?? []) assert.match(t.expr, new RegExp(`(service|container)="${s.name}"`), g.title);
    }
  });

  it("grows a row when the catalogue grows, without editing JSON", () => {
    const more = environmentsDashboard({ appName: "myapp", services: ["pwa", "billing"], environments: ["production"], previewPattern: "feature-pr-[1-9][0-9]*" });
    assert.ok((more.panels as Panel[]).some((p) => p.type === "row" && p.title === "billing"));
  });

  it("scopes every query by the variable and reads only the metrics and labels the alerts read", () => {
    const alertMetrics = new Set(alertExprs.flatMap(metricsOf));
    const alertLabels = new Set(alertExprs.flatMap(labelsOf));
    assert.ok(alertMetrics.size >= 5 && alertLabels.has("service"), "the parser finds the alerts' metrics and labels");
    assert.ok(targets().length > 0);
    for (const t of targets()) {
      assert.match(t.expr, /namespace="\$namespace"/, t.panel);
      for (const m of metricsOf(t.expr)) assert.ok(alertMetrics.has(m), `${t.panel}: metric ${m} is in no alert`);
      for (const l of labelsOf(t.expr)) assert.ok(alertLabels.has(l), `${t.panel}: label ${l} is in no alert`);
    }
    const v = variable();
    for (const m of metricsOf(`${v.definition.replace(/label_values\(([^,]+),.*/, "$1")}{}`)) assert.ok(alertMetrics.has(m), `variable reads ${m}`);
  });

  it("has valid PromQL in every panel (promtool check rules over the queries)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dashboard-"));
    try {
      const rules = targets().map((t, i) => ({ record: `dashboard:query_${i}`, expr: t.expr.split("$namespace").join("production") }));
      fs.writeFileSync(path.join(dir, "dashboard.rules.yaml"), JSON.stringify({ groups: [{ name: "dashboard", rules }] }));
      const r = runTool(monitoringTools().promtool, ["check", "rules", "dashboard.rules.yaml"], dir);
      assert.strictEqual(r.code, 0, r.output);
      assert.match(r.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lays panels out without overlap and with unique ids", () => {
    const ids = panels.map((p) => p.id);
    assert.strictEqual(new Set(ids).size, ids.length);
    const cells = new Set<string>();
    for (const p of panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          const cell = `${x},${y}`;
          assert.ok(!cells.has(cell), `${p.title} overlaps at ${cell}`);
          cells.add(cell);
        }
      }
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the 24-column grid`);
    }
  });
});
