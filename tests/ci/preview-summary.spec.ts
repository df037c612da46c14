import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { changeLine, hasChanges, parsePreviewSummary, previewToExport, urnParts } from "../../scripts/ci/preview-summary";

const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name), "utf8");

describe("preview-summary", () => {
  it("summarises a preview: counts, changed resources with their diff keys, diagnostics", () => {
    const summary = parsePreviewSummary(fixture("preview.json"));
    assert.deepEqual(summary.changes, { create: 1, update: 1, delete: 1, same: 1 });
    assert.deepEqual(summary.changed, [
      { op: "update", type: "kubernetes:apps/v1:Deployment", name: "core-api", diff: ["spec"] },
      { op: "create", type: "kubernetes:policy/v1:PodDisruptionBudget", name: "auth-pdb", diff: [] },
      { op: "delete", type: "kubernetes:core/v1:ConfigMap", name: "legacy", diff: [] },
    ]);
    assert.deepEqual(summary.warnings, ["auth-pdb: minAvailable leaves no room for a drain"]);
    assert.deepEqual(summary.errors, []);
    assert.equal(changeLine(summary), "+1 ~1 ±0 -1 (1 unchanged)");
  });

  it("reports refresh steps with a diff, and deletions, as changes", () => {
    const summary = parsePreviewSummary(fixture("refresh-drift.json"));
    assert.equal(hasChanges(summary), true);
    assert.deepEqual(
      summary.changed.map((c) => `${c.op} ${c.name}`),
      ["refresh pwa", "delete deny-all"],
    );
  });

  it("reports no changes for a clean refresh", () => {
    assert.equal(hasChanges(parsePreviewSummary(fixture("refresh-clean.json"))), false);
  });

  it("builds the proposed state without deleted resources", () => {
    const exported = previewToExport(fixture("preview.json"));
    const names = exported.deployment.resources.map((r) => urnParts((r as { urn: string }).urn).name);
    assert.deepEqual(names, ["team-environments-staging", "core-api", "auth-pdb"]);
    assert.equal(exported.version, 3);
  });

  it("splits nested-type URNs into the leaf type and name", () => {
    assert.deepEqual(urnParts("urn:pulumi:qa::p::a:b:C$kubernetes:core/v1:Service::pwa"), { type: "kubernetes:core/v1:Service", name: "pwa" });
    assert.deepEqual(urnParts("garbage"), { type: "?", name: "garbage" });
  });

  it("fails when the output is not JSON, saying where it came from", () => {
    assert.throws(() => parsePreviewSummary("error: no stack named 'qa'"), /pulumi preview --json output is not valid JSON/);
    assert.throws(() => parsePreviewSummary("[1]"), /not a JSON object/);
  });
});
