/**
 * The pull request check, with no secrets: for each affected long-lived stack, the PR's program
 * runs under Pulumi mocks with the stack's committed config (tests/support/program.ts, the same
 * runner the unit tests use), its resource graph is written as a stack export, and the offline
 * policy check and access/parity report run on it (peers and the cluster stack rendered the same
 * way). The result is rendered as markdown into `--out` and the job summary. Exits 1 when a
 * program failed to run or the policy check found violations, after writing the report.
 *
 * It never touches a state backend or a cluster: the PR's code runs here, so this job must hold
 * nothing a branch could misuse. What the program would *change* in a live stack is not shown;
 * the deploy jobs on main show that in their `pulumi up --diff`.
 *
 * CLI: pr-preview.ts --stacks '["qa","staging"]' --out report.md [--work-dir .preview]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runProgram, toStackExport } from "../../tests/support/program";
import { appendSummary, CiError, envValue, parseFlags, parseJson, requireFlag, run, runCli, type RunResult } from "./cli";
import { changeLine, hasChanges, type PreviewSummary } from "./preview-summary";
import { POLICY_PACK_DIR } from "./pulumi";
import { assertStackName, isLongLivedStack, LONG_LIVED_STACKS, type LongLivedStack } from "./stack-name";

/** How long one tool's output may run in the comment before it is cut. */
const MAX_SECTION_CHARS = 12_000;

/** The stack a stack's parity is judged against (`--reference`), if any: staging mirrors production. */
export function referenceStack(stack: LongLivedStack): LongLivedStack | undefined {
  switch (stack) {
    case "staging":
      return "production";
    case "production":
      return "staging";
    default:
      return undefined;
  }
}

/** Arguments after `--` for `npm run policy:check` / `npm run report`. */
export function offlineToolArgs(stackFile: string, referenceFile?: string, clusterFile?: string): string[] {
  const args = ["--stack", stackFile];
  if (referenceFile) args.push("--reference", referenceFile);
  if (clusterFile) args.push("--cluster", clusterFile);
  return args;
}

/** Parses the `--stacks` flag: a JSON array (as affected-stacks.ts writes it) or a comma list. */
export function parseStackList(raw: string): LongLivedStack[] {
  const text = raw.trim();
  const items: unknown = /^[[{]/.test(text) ? parseJson(text, "--stacks") : text === "" ? [] : text.split(",");
  if (!Array.isArray(items)) throw new CiError(`invalid --stacks ${JSON.stringify(raw)}: expected a JSON array`, 2);
  const stacks = items.map((s) => (typeof s === "string" ? s.trim() : s)).map((s) => {
    const name = assertStackName(s);
    if (!isLongLivedStack(name)) throw new CiError(`--stacks takes long-lived stacks only, got "${name}"`, 2);
    return name;
  });
  return LONG_LIVED_STACKS.filter((s) => stacks.includes(s));
}

/** Outcome of an offline tool run. */
export interface ToolOutcome {
  status: "pass" | "findings" | "unavailable";
  text: string;
}

/** Classifies an `npm run --silent <script>` result; a missing script is "unavailable", not a failure. */
export function classifyToolRun(result: RunResult): ToolOutcome {
  const text = `${result.stdout}${result.code !== 0 ? result.stderr : ""}`.trim();
  if (result.code !== 0 && /missing script/i.test(result.stderr)) return { status: "unavailable", text: result.stderr.trim() };
  return { status: result.code === 0 ? "pass" : "findings", text };
}

/** Everything learned about one stack. */
export interface StackPreview {
  stack: LongLivedStack;
  /** 0 when the program ran (under mocks, or `pulumi preview`), non-zero when it failed. */
  previewCode: number;
  /** Parsed `pulumi preview`, when one ran. */
  summary?: PreviewSummary;
  /** Resources the program registered under mocks. */
  resources?: number;
  /** Why the program failed, one message. */
  error?: string;
  /** Image tag pinned for the preview, if the stack had one. */
  imageTag?: string;
  policy?: ToolOutcome;
  report?: ToolOutcome;
}

/** Wraps text in a code fence longer than any backtick run inside it, cutting it to a size. */
export function fenced(text: string, limit = MAX_SECTION_CHARS): string {
  const body = text.length > limit ? `${text.slice(0, limit)}\n…(truncated)` : text;
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text\n${body}\n${fence}`;
}

function icon(outcome: ToolOutcome | undefined): string {
  if (outcome === undefined) return "—";
  return { pass: "✅", findings: "❌", unavailable: "⚪ n/a" }[outcome.status];
}

/** Whether the PR check should fail: a preview that failed, or policy violations. */
export function previewFailed(results: StackPreview[]): boolean {
  return results.some((r) => r.previewCode !== 0 || r.policy?.status === "findings");
}

/** Renders the PR comment (without its marker). */
export function renderPreviewComment(results: StackPreview[], meta: { sha: string; runUrl?: string }): string {
  const lines: string[] = ["## Program and policy check", ""];
  const run = meta.runUrl ? ` · [workflow run](${meta.runUrl})` : "";
  lines.push(`Commit \`${meta.sha.slice(0, 12)}\` · policy pack \`${POLICY_PACK_DIR}/\`${run}`, "");
  if (results.length === 0) {
    lines.push("This PR changes no file that affects a stack (program, stack config or policy pack): nothing to preview.");
    return lines.join("\n");
  }
  lines.push("| stack | program | changes | policy | access/parity report |", "|---|---|---|---|---|");
  for (const r of results) {
    const preview = r.previewCode === 0 ? "✅" : `❌ exit ${r.previewCode}`;
    const changes = r.summary
      ? hasChanges(r.summary) ? changeLine(r.summary) : "no changes"
      : r.resources !== undefined ? `${r.resources} resources (mocks)` : "—";
    lines.push(`| \`${r.stack}\` | ${preview} | ${changes} | ${icon(r.policy)} | ${icon(r.report)} |`);
  }
  for (const r of results) {
    lines.push("", `<details><summary><b>${r.stack}</b>${r.imageTag ? ` (image ${r.imageTag.slice(0, 12)})` : ""}</summary>`, "");
    if (r.summary) {
      if (r.summary.changed.length === 0) lines.push("No resource changes.");
      for (const c of r.summary.changed) {
        lines.push(`- \`${c.op}\` ${c.type} **${c.name}**${c.diff.length > 0 ? ` (${c.diff.join(", ")})` : ""}`);
      }
      if (r.summary.errors.length > 0) lines.push("", "**Errors**", fenced(r.summary.errors.join("\n")));
      if (r.summary.warnings.length > 0) lines.push("", "**Warnings**", fenced(r.summary.warnings.join("\n")));
    } else if (r.error !== undefined) {
      lines.push("**The program failed**", fenced(r.error));
    } else if (r.resources !== undefined) {
      lines.push(`The program registered ${r.resources} resources under mocks with this stack's committed config.`);
    } else {
      lines.push("The preview produced no readable JSON; see the workflow log.");
    }
    if (r.policy) lines.push("", "**Policy findings**", fenced(r.policy.text || "(no output)"));
    if (r.report) lines.push("", "**Access / parity report**", fenced(r.report.text || "(no output)"));
    lines.push("", "</details>");
  }
  lines.push(
    "",
    "_Policy and report run on the resource graphs of this PR's program under mocks (peers and the cluster stack rendered the same way); no state or cluster was read._",
  );
  return lines.join("\n");
}

async function npmRun(script: string, args: string[]): Promise<ToolOutcome> {
  return classifyToolRun(await run("npm", ["run", "--silent", script, "--", ...args], { captureStdout: true }));
}

/** Renders a stack's graph under mocks into `<dir>/<stack>.json`; the error message when the program fails. */
export async function renderStack(stack: LongLivedStack, dir: string): Promise<{ file: string; resources: number } | { error: string }> {
  try {
    const doc = toStackExport(await runProgram(stack));
    const file = join(dir, `${stack}.json`);
    writeFileSync(file, JSON.stringify(doc));
    return { file, resources: doc.deployment.resources.length - 1 };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

async function main(argv: string[]): Promise<number> {
  const usage = "pr-preview.ts --stacks '[\"qa\",\"staging\"]' --out <report.md> [--work-dir .preview]";
  const flags = parseFlags(argv, { stacks: { type: "string" }, out: { type: "string" }, "work-dir": { type: "string" } }, usage);
  const stacks = parseStackList(requireFlag(flags.stacks, "stacks", usage));
  const out = requireFlag(flags.out, "out", usage);
  const dir = flags["work-dir"] ?? ".preview";
  mkdirSync(dir, { recursive: true });
  const rendered = new Map<LongLivedStack, Awaited<ReturnType<typeof renderStack>>>();
  const render = async (stack: LongLivedStack) => {
    if (!rendered.has(stack)) rendered.set(stack, await renderStack(stack, dir));
    const r = rendered.get(stack)!;
    return "file" in r ? r.file : undefined;
  };
  const results: StackPreview[] = [];
  for (const stack of stacks) {
    await render(stack);
    const own = rendered.get(stack)!;
    if ("error" in own) {
      results.push({ stack, previewCode: 1, error: own.error });
      continue;
    }
    const result: StackPreview = { stack, previewCode: 0, resources: own.resources };
    const peer = referenceStack(stack);
    const args = offlineToolArgs(own.file, peer ? await render(peer) : undefined, stack === "cluster" ? undefined : await render("cluster"));
    result.policy = await npmRun("policy:check", args);
    result.report = await npmRun("report", args);
    results.push(result);
  }
  const sha = envValue("PR_HEAD_SHA") ?? envValue("GITHUB_SHA") ?? "unknown";
  const server = envValue("GITHUB_SERVER_URL");
  const runUrl = server && envValue("GITHUB_REPOSITORY") && envValue("GITHUB_RUN_ID")
    ? `${server}/${envValue("GITHUB_REPOSITORY")}/actions/runs/${envValue("GITHUB_RUN_ID")}`
    : undefined;
  const body = renderPreviewComment(results, { sha, runUrl });
  writeFileSync(out, body);
  appendSummary(body);
  return previewFailed(results) ? 1 : 0;
}

if (require.main === module) runCli(main);
