/**
 * The production gate the seed pipeline runs with kubectl, rebuilt on stack outputs: a SHA may be
 * promoted only when staging runs exactly that SHA, for every service it deploys.
 *
 * CLI: promotion-check.ts --sha <sha> [--stack staging | --outputs <file.json>]
 *      sets output `image-tag`; exits 1 with the reason when the promotion is refused.
 */
import { CiError, parseFlags, readJsonFile, requireFlag, runCli, setOutput } from "./cli";
import { parseCommitSha } from "./github-event";
import { Pulumi, type StackOutputs } from "./pulumi";

/** The verdict of a promotion check. */
export type PromotionVerdict = { ok: true; sha: string } | { ok: false; reason: string };

/**
 * Decides whether `sha` may go to production given staging's stack outputs (`imageTag`, `imageTags`).
 * Exact match only: an abbreviated SHA is refused with a hint rather than guessed at.
 */
export function checkPromotion(stagingOutputs: StackOutputs, sha: string): PromotionVerdict {
  const wanted = parseCommitSha(sha, "image SHA");
  const tag = stagingOutputs.imageTag;
  if (typeof tag !== "string" || tag === "") {
    return { ok: false, reason: "staging has no imageTag output: deploy to staging first" };
  }
  if (tag !== wanted) {
    const hint =
      tag.startsWith(wanted) || wanted.startsWith(tag)
        ? ` (one is an abbreviation of the other: pass the full SHA "${tag}")`
        : "";
    return { ok: false, reason: `staging runs ${tag}, not ${wanted}${hint}: deploy ${wanted} to staging first` };
  }
  const tags = stagingOutputs.imageTags;
  if (tags !== undefined) {
    if (tags === null || typeof tags !== "object" || Array.isArray(tags)) {
      return { ok: false, reason: "staging's imageTags output is not a map of service → tag" };
    }
    const others = Object.entries(tags as Record<string, unknown>)
      .filter(([, t]) => t !== wanted)
      .map(([service, t]) => `${service}=${String(t)}`)
      .sort();
    if (others.length > 0) {
      return { ok: false, reason: `staging does not run ${wanted} everywhere: ${others.join(", ")}` };
    }
  }
  return { ok: true, sha: wanted };
}

async function main(argv: string[]): Promise<number> {
  const usage = "promotion-check.ts --sha <sha> [--stack staging | --outputs <file.json>]";
  const flags = parseFlags(
    argv,
    { sha: { type: "string" }, stack: { type: "string" }, outputs: { type: "string" } },
    usage,
  );
  const sha = parseCommitSha(requireFlag(flags.sha, "sha", usage), "image SHA");
  if (flags.stack !== undefined && flags.outputs !== undefined) {
    throw new CiError(`pass --stack or --outputs, not both\nusage: ${usage}`, 2);
  }
  const outputs = flags.outputs
    ? (readJsonFile(flags.outputs) as StackOutputs)
    : await new Pulumi().outputs(flags.stack ?? "staging");
  const verdict = checkPromotion(outputs, sha);
  if (!verdict.ok) throw new CiError(`promotion refused: ${verdict.reason}`);
  process.stdout.write(`promotion allowed: staging runs ${verdict.sha}\n`);
  setOutput("image-tag", verdict.sha);
  return 0;
}

if (require.main === module) runCli(main);
