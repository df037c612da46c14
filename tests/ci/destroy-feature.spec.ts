import { strict as assert } from "node:assert";
import { cleanupPlan, destroyStep, executeCleanup } from "../../scripts/ci/destroy-feature";
import { Pulumi } from "../../scripts/ci/pulumi";

describe("destroy-feature", () => {
  it("destroys, makes sure the namespace is gone, then removes the stack", () => {
    const plan = cleanupPlan("feature-pr-12", true);
    assert.deepEqual(
      plan.map((s) => `${s.tool} ${s.args.slice(0, 3).join(" ")}`),
      ["pulumi destroy --stack feature-pr-12", "kubectl delete namespace feature-pr-12", "pulumi stack rm feature-pr-12"],
    );
  });

  it("skips the per-step state writes in the preview's destroy only, and runs it with that variable", async () => {
    const plan = cleanupPlan("feature-pr-12", true);
    assert.deepEqual(
      plan.map((s) => s.env),
      [{ PULUMI_SKIP_CHECKPOINTS: "true" }, undefined, undefined],
    );
    assert.deepEqual(plan[0], destroyStep("feature-pr-12"));
    const seen: { args: string[]; env?: Readonly<Record<string, string>> }[] = [];
    const pulumi = new Pulumi(async (args, _capture, env) => {
      seen.push({ args, env });
      return { code: 0, stdout: "", stderr: "" };
    });
    const lines: string[] = [];
    await executeCleanup(plan, async (tool, args, env) => (tool === "pulumi" ? pulumi.attempt(args, false, env) : { code: 0, stdout: "", stderr: "" }), (l) => lines.push(l));
    assert.deepEqual(
      seen.map((s) => [s.args[0], s.env]),
      [["destroy", { PULUMI_SKIP_CHECKPOINTS: "true" }], ["stack", undefined]],
    );
    assert.match(lines[0], /^\$ PULUMI_SKIP_CHECKPOINTS=true pulumi destroy --stack feature-pr-12 /);
    assert.match(lines[2], /^\$ pulumi stack rm feature-pr-12 /);
  });

  it("only deletes a leftover namespace when the stack never existed", () => {
    const plan = cleanupPlan("feature-pr-12", false);
    assert.equal(plan.length, 1);
    assert.equal(plan[0].tool, "kubectl");
    assert.ok(plan[0].args.includes("--ignore-not-found"));
  });

  it("fails when destroy fails, and keeps the stack so nothing is orphaned", async () => {
    const ran: string[] = [];
    await assert.rejects(
      executeCleanup(cleanupPlan("feature-pr-3", true), async (tool, args) => {
        ran.push(`${tool} ${args[0]}`);
        return { code: tool === "pulumi" && args[0] === "destroy" ? 1 : 0, stdout: "", stderr: "" };
      }, () => undefined),
      /pulumi destroy --stack failed with exit 1; the stack is kept/,
    );
    assert.deepEqual(ran, ["pulumi destroy"]);
  });

  it("goes on when the namespace deletion is refused", async () => {
    const ran: string[] = [];
    const lines: string[] = [];
    await executeCleanup(cleanupPlan("feature-pr-3", true), async (tool, args) => {
      ran.push(`${tool} ${args[0]}`);
      return { code: tool === "kubectl" ? 1 : 0, stdout: "", stderr: "" };
    }, (l) => lines.push(l));
    assert.deepEqual(ran, ["pulumi destroy", "kubectl delete", "pulumi stack"]);
    assert.ok(lines.some((l) => l.startsWith("warning: kubectl delete namespace")));
  });

  it("fails when the PR number is invalid", () => {
    assert.throws(() => cleanupPlan("feature-pr-x", true), /invalid stack "feature-pr-x"/);
  });
});
