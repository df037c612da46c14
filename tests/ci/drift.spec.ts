import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { driftReport } from "../../scripts/ci/drift";
import { parsePreviewSummary } from "../../scripts/ci/preview-summary";

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
