import { strict as assert } from "node:assert";
import type { RunResult } from "../../scripts/ci/cli";
import { deploy, DeployFailure, parseImageTag, planAfterFailure, primaryUrl, rollbackTarget, type DeployDeps } from "../../scripts/ci/deploy";
import { Pulumi } from "../../scripts/ci/pulumi";

const OLD = "1111111111111111111111111111111111111111";
const NEW = "2222222222222222222222222222222222222222";

/** A fake pulumi: records every call; `up` fails for the tags in `failingTags`; outputs follow the last good up. */
function fakePulumi(opts: { exists: boolean; deployed?: string; failingTags?: string[] }) {
  const calls: string[] = [];
  let configured: string | undefined;
  let deployed = opts.deployed;
  const ok = (stdout = ""): RunResult => ({ code: 0, stdout, stderr: "" });
  const exec = async (args: string[]): Promise<RunResult> => {
    calls.push(args.join(" "));
    const [cmd, sub] = args;
    if (cmd === "stack" && sub === "ls") return ok(JSON.stringify(opts.exists ? ["qa", "staging", "production"].map((s) => ({ name: `org/team-environments/${s}` })) : []));
    if (cmd === "stack" && sub === "output") {
      return ok(JSON.stringify(deployed ? { imageTag: deployed, urls: { pwa: "https://qa.example.test" } } : {}));
    }
    if (cmd === "config") configured = args[3];
    if (cmd === "up") {
      if (configured && opts.failingTags?.includes(configured)) return { code: 255, stdout: "", stderr: "Job failed" };
      deployed = configured;
    }
    return ok();
  };
  return { pulumi: new Pulumi(exec), calls };
}

function deps(pulumi: Pulumi, smokeFails: string[] = []): DeployDeps & { lines: string[] } {
  const lines: string[] = [];
  return {
    pulumi,
    lines,
    log: (l) => lines.push(l),
    smoke: async (outputs) => (smokeFails.includes(String(outputs.imageTag)) ? "smoke test failed: pwa → HTTP 502" : undefined),
  };
}

describe("deploy", () => {
  it("sets the image tag, then runs one pulumi up with the policy pack (migrations and rollout)", async () => {
    const { pulumi, calls } = fakePulumi({ exists: true, deployed: OLD });
    const outcome = await deploy("qa", NEW, { create: false, rollback: true }, deps(pulumi));
    assert.equal(outcome.previousTag, OLD);
    assert.equal(outcome.rolledBack, false);
    const mutating = calls.filter((c) => c.startsWith("config") || c.startsWith("up"));
    assert.deepEqual(mutating, [
      `config set imageTag ${NEW} --stack qa`,
      "up --stack qa --yes --non-interactive --skip-preview --diff --policy-pack policy",
    ]);
  });

  it("rolls back to the previous tag with pulumi up when the deploy fails", async () => {
    const { pulumi, calls } = fakePulumi({ exists: true, deployed: OLD, failingTags: [NEW] });
    await assert.rejects(
      deploy("production", NEW, { create: false, rollback: true }, deps(pulumi)),
      (err: unknown) => err instanceof DeployFailure && err.rolledBackTo === OLD && /rolled back to 1111/.test(err.message),
    );
    assert.deepEqual(
      calls.filter((c) => c.startsWith("config")),
      [`config set imageTag ${NEW} --stack production`, `config set imageTag ${OLD} --stack production`],
    );
    assert.equal(calls.filter((c) => c.startsWith("up")).length, 2);
    assert.ok(!calls.some((c) => c.includes("rollout")), "never kubectl rollout undo");
  });

  it("rolls back when the smoke test fails after a successful up", async () => {
    const { pulumi } = fakePulumi({ exists: true, deployed: OLD });
    await assert.rejects(
      deploy("production", NEW, { create: false, rollback: true }, deps(pulumi, [NEW])),
      /HTTP 502; rolled back to 1111/,
    );
  });

  it("fails loudly when the rollback fails too", async () => {
    const { pulumi } = fakePulumi({ exists: true, deployed: OLD, failingTags: [NEW, OLD] });
    await assert.rejects(
      deploy("production", NEW, { create: false, rollback: true }, deps(pulumi)),
      (err: unknown) => err instanceof DeployFailure && err.rolledBackTo === undefined && /ROLLBACK to 1111.* ALSO FAILED/.test(err.message),
    );
  });

  it("fails without rollback when not requested", async () => {
    const { pulumi, calls } = fakePulumi({ exists: true, deployed: OLD, failingTags: [NEW] });
    await assert.rejects(deploy("qa", NEW, { create: false, rollback: false }, deps(pulumi)), /no rollback: rollback not requested/);
    assert.equal(calls.filter((c) => c.startsWith("up")).length, 1);
  });

  it("creates a missing feature stack before its first deploy", async () => {
    const { pulumi, calls } = fakePulumi({ exists: false });
    await deploy("feature-pr-9", NEW, { create: true, rollback: false }, deps(pulumi));
    assert.ok(calls.includes("stack init feature-pr-9 --non-interactive"));
  });

  it("fails when a long-lived stack is missing instead of creating it", async () => {
    const { pulumi } = fakePulumi({ exists: false });
    await assert.rejects(deploy("staging", NEW, { create: false, rollback: true }, deps(pulumi)), /stack staging does not exist/);
  });

  it("picks the rollback target from the outputs read before the deploy", () => {
    assert.equal(rollbackTarget({ imageTag: OLD }, NEW), OLD);
    assert.equal(rollbackTarget({ imageTag: NEW }, NEW), undefined);
    assert.equal(rollbackTarget({}, NEW), undefined);
    assert.deepEqual(planAfterFailure(true, undefined, NEW), { action: "fail", reason: "the stack did not exist before this deploy" });
  });

  it("fails when the image tag is not a Docker tag, quoting it", () => {
    assert.equal(parseImageTag(NEW), NEW);
    assert.throws(() => parseImageTag("a b"), /invalid image tag "a b"/);
    assert.throws(() => parseImageTag("-rf"), /invalid image tag "-rf"/);
  });

  it("shows the web front end's URL first", () => {
    assert.equal(primaryUrl({ urls: { "api-gateway": "https://api.x", pwa: "https://x" } }), "https://x");
    assert.equal(primaryUrl({ urls: { auth: "https://auth.x" } }), "https://auth.x");
    assert.equal(primaryUrl({}), undefined);
  });
});
