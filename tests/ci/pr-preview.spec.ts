import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePreviewSummary } from "../../scripts/ci/preview-summary";
import {
  classifyToolRun,
  fenced,
  offlineToolArgs,
  parseStackList,
  previewFailed,
  referenceStack,
  renderPreviewComment,
  renderStack,
  type StackPreview,
} from "../../scripts/ci/pr-preview";

const summary = parsePreviewSummary(readFileSync(join(__dirname, "fixtures", "preview.json"), "utf8"));

describe("pr-preview", () => {
  it("reads the stack list as JSON or commas, in promotion order", () => {
    assert.deepEqual(parseStackList('["production","qa"]'), ["qa", "production"]);
    assert.deepEqual(parseStackList("staging, cluster"), ["cluster", "staging"]);
    assert.deepEqual(parseStackList("[]"), []);
  });

  it("fails when the stack list names a feature stack or garbage", () => {
    assert.throws(() => parseStackList('["feature-pr-3"]'), /long-lived stacks only, got "feature-pr-3"/);
    assert.throws(() => parseStackList("prod"), /invalid stack "prod"/);
    assert.throws(() => parseStackList('{"a":1}'), /expected a JSON array/);
  });

  it("judges staging's parity against production and the other way round", () => {
    assert.equal(referenceStack("staging"), "production");
    assert.equal(referenceStack("production"), "staging");
    assert.equal(referenceStack("qa"), undefined);
    assert.deepEqual(offlineToolArgs("s.json", "p.json", "c.json"), ["--stack", "s.json", "--reference", "p.json", "--cluster", "c.json"]);
    assert.deepEqual(offlineToolArgs("c.json"), ["--stack", "c.json"]);
  });

  it("treats a missing npm script as unavailable, a non-zero exit as findings", () => {
    assert.equal(classifyToolRun({ code: 0, stdout: "ok", stderr: "" }).status, "pass");
    assert.equal(classifyToolRun({ code: 1, stdout: "rule x", stderr: "" }).status, "findings");
    assert.equal(classifyToolRun({ code: 1, stdout: "", stderr: 'npm error Missing script: "report"' }).status, "unavailable");
  });

  it("fences text that itself contains backticks", () => {
    const out = fenced("a ``` b");
    assert.ok(out.startsWith("````text\n"));
    assert.ok(out.endsWith("\n````"));
  });

  it("renders one table row and one details block per stack", () => {
    const results: StackPreview[] = [
      { stack: "staging", previewCode: 0, summary, imageTag: "0123456789abcdef", policy: { status: "findings", text: "mandatory: pdb" }, report: { status: "pass", text: "parity ok" } },
    ];
    const body = renderPreviewComment(results, { sha: "abcdef0123456789", runUrl: "https://github.example/run/1" });
    assert.match(body, /\| `staging` \| ✅ \| \+1 ~1 ±0 -1 \(1 unchanged\) \| ❌ \| ✅ \|/);
    assert.match(body, /- `update` kubernetes:apps\/v1:Deployment \*\*core-api\*\* \(spec\)/);
    assert.match(body, /mandatory: pdb/);
    assert.match(body, /parity ok/);
    assert.equal(previewFailed(results), true);
  });

  it("says so when the PR touches no stack", () => {
    assert.match(renderPreviewComment([], { sha: "abc" }), /nothing to preview/);
    assert.equal(previewFailed([]), false);
  });

  it("reports a graph rendered under mocks by its resource count", () => {
    const body = renderPreviewComment([{ stack: "qa", previewCode: 0, resources: 42, policy: { status: "pass", text: "" } }], { sha: "abc" });
    assert.match(body, /\| `qa` \| ✅ \| 42 resources \(mocks\) \| ✅ \| — \|/);
    assert.match(body, /registered 42 resources under mocks/);
    assert.doesNotMatch(body, /current state/);
  });

  it("fails the check when the program fails under mocks, quoting its error", () => {
    const results: StackPreview[] = [{ stack: "production", previewCode: 1, error: "team-environments:imageTag = undefined: required" }];
    assert.match(renderPreviewComment(results, { sha: "abc" }), /The program failed[\s\S]*imageTag = undefined: required/);
    assert.equal(previewFailed(results), true);
  });

  it("renders a stack's graph under mocks as a stack export, with no backend", async function () {
    this.timeout(60_000);
    const rendered = await renderStack("qa", mkdtempSync(join(tmpdir(), "pr-preview-")));
    assert.ok("file" in rendered, JSON.stringify(rendered));
    const doc = JSON.parse(readFileSync(rendered.file, "utf8"));
    assert.equal(doc.version, 3);
    assert.ok(rendered.resources > 10);
    assert.ok(doc.deployment.resources.some((r: { type: string }) => r.type === "kubernetes:apps/v1:Deployment"));
  });

  it("fails the check when a preview failed", () => {
    assert.equal(previewFailed([{ stack: "qa", previewCode: 255 }]), true);
  });
});
