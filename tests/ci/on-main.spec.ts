import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkWorkflowRef,
  parseBranch,
  parseFullSha,
  verdictFromMergeBase,
} from "../../scripts/ci/on-main";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const root = join(__dirname, "..", "..");

const AUTHOR = ["-c", "user.name=t", "-c", "user.email=t@example.com"];

/** An empty commit on the current branch. */
function commit(cwd: string, message: string): void {
  git(cwd, ...AUTHOR, "commit", "-q", "--allow-empty", "-m", message);
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

function onMain(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(
    process.execPath,
    [
      require.resolve("ts-node/dist/bin.js"),
      "--transpile-only",
      join(root, "scripts", "ci", "on-main.ts"),
      ...args,
    ],
    { cwd, encoding: "utf8", env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("on-main", () => {
  it("accepts a commit on the branch and refuses one that is not", () => {
    assert.deepEqual(verdictFromMergeBase(0, SHA, "main"), {
      ok: true,
      message: `${SHA} is on origin/main`,
    });
    const refused = verdictFromMergeBase(1, SHA, "main");
    assert.equal(refused.ok, false);
    assert.match(!refused.ok ? refused.reason : "", /is not on origin\/main/);
  });

  it("fails when git cannot tell (unknown commit), quoting git's complaint", () => {
    const verdict = verdictFromMergeBase(128, SHA, "main", "fatal: Not a valid commit name\n");
    assert.equal(verdict.ok, false);
    assert.match(
      !verdict.ok ? verdict.reason : "",
      /git exited 128: fatal: Not a valid commit name/,
    );
  });

  it("fails when the workflow runs from another ref", () => {
    assert.equal(checkWorkflowRef("refs/heads/main", "main").ok, true);
    assert.equal(checkWorkflowRef(undefined, "main").ok, true);
    assert.equal(checkWorkflowRef("refs/heads/evil", "main").ok, false);
    assert.equal(checkWorkflowRef("refs/tags/v1.0.0", "main").ok, false);
  });

  it("fails on an abbreviated SHA or a bad branch, naming the flag", () => {
    assert.equal(parseFullSha(SHA), SHA);
    assert.throws(
      () => parseFullSha(SHA.slice(0, 7)),
      /invalid --sha "0123456": pass the full 40-character/,
    );
    assert.throws(() => parseFullSha("HEAD"), /invalid --sha "HEAD"/);
    assert.equal(parseBranch("release/1.x"), "release/1.x");
    assert.throws(() => parseBranch("main..evil"), /invalid --branch "main\.\.evil"/);
    assert.throws(() => parseBranch("-x"), /invalid --branch "-x"/);
  });

  describe("against a real repository", function () {
    this.timeout(60_000);
    let repo: string;
    let onMainSha: string;
    let offMainSha: string;

    before(() => {
      repo = mkdtempSync(join(tmpdir(), "on-main-"));
      git(repo, "init", "-q", "-b", "main");
      commit(repo, "one");
      onMainSha = git(repo, "rev-parse", "HEAD");
      git(repo, "checkout", "-q", "-b", "feature");
      commit(repo, "two");
      offMainSha = git(repo, "rev-parse", "HEAD");
      // origin/main as actions/checkout leaves it: a remote-tracking ref.
      git(repo, "update-ref", "refs/remotes/origin/main", onMainSha);
    });

    it("passes a commit on origin/main", () => {
      const r = onMain(repo, ["--sha", onMainSha], { GITHUB_REF: "refs/heads/main" });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /is on origin\/main/);
    });

    it("fails with exit 1 for a commit only on another branch", () => {
      const r = onMain(repo, ["--sha", offMainSha]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error: release refused: [0-9a-f]{40} is not on origin\/main/);
    });

    it("fails when dispatched from another branch, before looking at the commit", () => {
      const r = onMain(repo, ["--sha", onMainSha], { GITHUB_REF: "refs/heads/feature" });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /this run is from refs\/heads\/feature/);
    });

    it("fails with exit 2 naming --sha when it is missing", () => {
      const r = onMain(repo, []);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /missing required --sha/);
    });

    it("fails for a commit inside a branch merged to main (an ancestor, never reviewed as it is), passes the merge", () => {
      git(repo, "checkout", "-q", "main");
      git(repo, ...AUTHOR, "merge", "-q", "--no-ff", "-m", "merge", "feature");
      const merge = git(repo, "rev-parse", "HEAD");
      git(repo, "update-ref", "refs/remotes/origin/main", merge);
      const inside = onMain(repo, ["--sha", offMainSha]);
      assert.equal(inside.code, 1);
      assert.match(inside.stderr, /is not a first-parent commit of origin\/main/);
      assert.equal(onMain(repo, ["--sha", merge]).code, 0);
      assert.equal(onMain(repo, ["--sha", onMainSha]).code, 0);
    });
  });
});
