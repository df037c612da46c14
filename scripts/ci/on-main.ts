/**
 * The production branch gate: refuses a release unless the commit is on `main` — one of the
 * commits `main` itself pointed at (its first-parent history), not merely an ancestor: a commit
 * in the middle of a merged branch was never reviewed as it is — and the workflow itself runs
 * from `main`. The GitHub `production`
 * environment's deployment branch policy keeps other refs away from its secrets; this check keeps
 * a dispatch from `main` from deploying a commit that only exists on some other branch.
 *
 * CLI: on-main.ts --sha <40-hex sha> [--branch main]
 *      needs the branch fetched (actions/checkout with fetch-depth: 0); exits 1 when refused.
 */
import { CiError, envValue, parseFlags, requireFlag, run, runCli } from "./cli";
import { parseCommitSha } from "./github-event";

/** The verdict of the branch gate. */
export type OnMainVerdict = { ok: true; message: string } | { ok: false; reason: string };

/** Branch names accepted by `--branch` (no refs, no revision syntax). */
const BRANCH_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/** Validates `--branch`; the error names the flag and quotes the value. */
export function parseBranch(raw: string): string {
  if (!BRANCH_PATTERN.test(raw) || raw.includes("..")) {
    throw new CiError(
      `invalid --branch ${JSON.stringify(raw)}: expected a branch name such as main`,
      2,
    );
  }
  return raw;
}

/** A full 40-character commit SHA: production never resolves an abbreviation. */
export function parseFullSha(raw: string): string {
  const sha = parseCommitSha(raw, "--sha");
  if (sha.length !== 40)
    throw new CiError(`invalid --sha "${sha}": pass the full 40-character commit SHA`, 2);
  return sha;
}

/**
 * Refuses a run whose workflow ref is not the branch: a `workflow_dispatch` runs the workflow file
 * of the ref it was dispatched from, so a run from another branch may carry a rewritten workflow.
 * Outside Actions (no GITHUB_REF) this part is skipped.
 */
export function checkWorkflowRef(githubRef: string | undefined, branch: string): OnMainVerdict {
  if (githubRef === undefined || githubRef === `refs/heads/${branch}`) {
    return { ok: true, message: `workflow runs from ${githubRef ?? "(not in Actions)"}` };
  }
  return {
    ok: false,
    reason: `this run is from ${githubRef}; production runs only from refs/heads/${branch}`,
  };
}

/**
 * Interprets `git merge-base --is-ancestor <sha> origin/<branch>`: 0 = on the branch, 1 = not on it,
 * anything else = git could not tell (unknown commit, branch not fetched), which is also a refusal.
 */
export function verdictFromMergeBase(
  code: number,
  sha: string,
  branch: string,
  stderr = "",
): OnMainVerdict {
  if (code === 0) return { ok: true, message: `${sha} is on origin/${branch}` };
  if (code === 1)
    return { ok: false, reason: `${sha} is not on origin/${branch}: merge it to ${branch} first` };
  const detail = stderr.trim().split("\n")[0] ?? "";
  return {
    ok: false,
    reason: `cannot tell whether ${sha} is on origin/${branch} (git exited ${code}${detail ? `: ${detail}` : ""}); fetch the branch with full history`,
  };
}

/**
 * Interprets `git rev-list --first-parent origin/<branch>`: the commits the branch pointed at. A
 * commit that is only an ancestor (inside a merged branch) is refused.
 */
export function verdictFromFirstParent(revList: string, sha: string, branch: string): OnMainVerdict {
  if (revList.split("\n").some((line) => line.trim() === sha)) return { ok: true, message: `${sha} is on origin/${branch}` };
  return {
    ok: false,
    reason: `${sha} is not a first-parent commit of origin/${branch} (a commit inside a merged branch was never reviewed as it is): release the merge commit`,
  };
}

async function main(argv: string[]): Promise<number> {
  const usage = "on-main.ts --sha <40-hex sha> [--branch main]";
  const flags = parseFlags(argv, { sha: { type: "string" }, branch: { type: "string" } }, usage);
  const sha = parseFullSha(requireFlag(flags.sha, "sha", usage));
  const branch = parseBranch(flags.branch ?? "main");
  const ref = checkWorkflowRef(envValue("GITHUB_REF"), branch);
  if (!ref.ok) throw new CiError(`release refused: ${ref.reason}`);
  const result = await run("git", ["merge-base", "--is-ancestor", sha, `origin/${branch}`], {
    captureStdout: true,
  });
  const verdict = verdictFromMergeBase(result.code, sha, branch, result.stderr);
  if (!verdict.ok) throw new CiError(`release refused: ${verdict.reason}`);
  const firstParent = await run("git", ["rev-list", "--first-parent", `origin/${branch}`], { captureStdout: true });
  if (firstParent.code !== 0) throw new CiError(`release refused: cannot list origin/${branch} (git exited ${firstParent.code})`);
  const direct = verdictFromFirstParent(firstParent.stdout, sha, branch);
  if (!direct.ok) throw new CiError(`release refused: ${direct.reason}`);
  process.stdout.write(`${verdict.message}\n`);
  return 0;
}

if (require.main === module) runCli(main);
