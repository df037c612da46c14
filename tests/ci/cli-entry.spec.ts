import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(__dirname, "..", "..");

/** Runs a script the way workflows do, with a clean Actions-free environment. */
function cli(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(
    process.execPath,
    [require.resolve("ts-node/dist/bin.js"), "--transpile-only", join(root, "scripts", "ci", script), ...args],
    { cwd: root, encoding: "utf8", env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("CLI entry points", function () {
  this.timeout(60_000);

  it("prints the stack of a PR", () => {
    const r = cli("stack-name.ts", ["--pr", "142"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^stack=feature-pr-142$/m);
  });

  it("fails on a bad PR number with exit 2, the value quoted, and no stack trace", () => {
    const r = cli("stack-name.ts", ["--pr", "12; rm -rf /"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: invalid pull request number "12; rm -rf \/"/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it("refuses a promotion of a SHA staging does not run", () => {
    const dir = mkdtempSync(join(tmpdir(), "promotion-"));
    const outputs = join(dir, "staging.json");
    writeFileSync(outputs, JSON.stringify({ imageTag: "a".repeat(40), imageTags: { pwa: "a".repeat(40) } }));
    const refused = cli("promotion-check.ts", ["--sha", "b".repeat(40), "--outputs", outputs]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /promotion refused: staging runs a{40}, not b{40}/);
    const allowed = cli("promotion-check.ts", ["--sha", "a".repeat(40), "--outputs", outputs]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /image-tag=a{40}/);
  });

  it("fails when a deploy has no backend configured, naming the variables", () => {
    const r = cli("deploy.ts", ["--stack", "qa", "--image-tag", "a".repeat(40)]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Pulumi backend not configured/);
  });

  it("fails on an unknown flag with usage", () => {
    const r = cli("drift.ts", ["--stak", "qa"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: drift.ts --stack/);
  });
});
