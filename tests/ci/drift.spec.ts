import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { driftReport } from "../../scripts/ci/drift";
import { parsePreviewSummary } from "../../scripts/ci/preview-summary";
import { DRIFT_EXCLUDED, driftArgs } from "../../scripts/ci/pulumi";

const summary = (name: string) => parsePreviewSummary(readFileSync(join(__dirname, "fixtures", name), "utf8"));

describe("drift", () => {
  it("reports every drifted resource and what differs", () => {
    const report = driftReport("production", summary("refresh-drift.json"));
    assert.equal(report.drifted, true);
    assert.deepEqual(report.lines, [
      "production: kubernetes:apps/v1:Deployment pwa differs (spec)",
      "production: kubernetes:networking.k8s.io/v1:NetworkPolicy deny-all is gone from the cluster",
    ]);
  });

  it("passes a stack that matches its state", () => {
    assert.deepEqual(driftReport("qa", summary("refresh-clean.json")), { drifted: false, lines: ["qa: no drift"] });
  });
});

describe("drift verdict", () => {
  const provider = { op: "update", type: "pulumi:providers:kubernetes", name: "kubernetes", diff: ["kubeconfig"] };
  const configMap = { op: "update", type: "kubernetes:core/v1:ConfigMap", name: "core-api-config", diff: ["data"] };
  it("does not call this job's own kubeconfig drift (the provider is configured from it)", () => {
    const report = driftReport("qa", { changes: { update: 1, same: 40 }, changed: [provider], errors: [], warnings: [] });
    assert.deepEqual(report, { drifted: false, lines: ["qa: no drift"] });
  });
  it("still reports a resource beside the provider's change, and changes it cannot name", () => {
    const report = driftReport("qa", { changes: { update: 2, same: 39 }, changed: [provider, configMap], errors: [], warnings: [] });
    assert.deepEqual(report.lines, ["qa: kubernetes:core/v1:ConfigMap core-api-config differs (data)"]);
    assert.equal(driftReport("qa", { changes: { update: 2 }, changed: [provider], errors: [], warnings: [] }).drifted, true);
  });
});

describe("drift refresh arguments", () => {
  it("previews a refresh of everything but Secrets, which the drift identity may not read", () => {
    const args = driftArgs("production");
    assert.deepEqual(args.slice(0, 4), ["refresh", "--stack", "production", "--preview-only"]);
    // The provider must use this job's kubeconfig, not the path the last deploy left in the state.
    assert.ok(args.includes("--run-program"));
    assert.deepEqual(args.slice(args.indexOf("--exclude"), args.indexOf("--exclude") + 2), ["--exclude", DRIFT_EXCLUDED]);
    // The engine's URN glob: `**` is any text, `*` any text without a colon.
    const glob = new RegExp(`^${DRIFT_EXCLUDED.split("**").map((p) => p.split("*").map((q) => q.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("[^:]*")).join(".*")}$`);
    const urn = (type: string) => `urn:pulumi:production::team-environments::team-environments:k8s:Environment$team-environments:k8s:Postgres$${type}::production-postgres`;
    assert.ok(glob.test(urn("kubernetes:core/v1:Secret")));
    for (const type of ["kubernetes:core/v1:ConfigMap", "kubernetes:apps/v1:StatefulSet", "kubernetes:core/v1:ServiceAccount"]) assert.ok(!glob.test(urn(type)), type);
  });
});
