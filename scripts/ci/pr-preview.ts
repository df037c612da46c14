/**
 * The pull request check: for each affected long-lived stack, `pulumi preview` with the policy
 * pack, then the offline policy check and access/parity report on the proposed state, rendered as
 * one markdown comment (posted by pr-comment.ts). Exits 1 when a preview failed or the policy
 * check found violations, after writing the comment, so the check is red and the reason visible.
 *
 * Each stack is previewed with the image tag it runs now (read from its outputs), so the diff
 * shows what the PR changes in the program, not which build is deployed.
 *
 * CLI: pr-preview.ts --stacks '["qa","staging"]' --out comment.md [--work-dir .preview]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appendSummary, CiError, envValue, parseFlags, parseJson, requireFlag, run, runCli, type RunResult } from "./cli";
import { changeLine, hasChanges, parsePreviewSummary, previewToExport, type PreviewSummary } from "./preview-summary";
import { assertBackend, previewArgs, Pulumi, POLICY_PACK_DIR } from "./pulumi";
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
  /** Exit code of `pulumi preview`. */
  previewCode: number;
  /** Parsed preview, when its JSON could be read. */
  summary?: PreviewSummary;
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
  const lines: string[] = ["## Pulumi preview", ""];
  const run = meta.runUrl ? ` · [workflow run](${meta.runUrl})` : "";
  lines.push(`Commit \`${meta.sha.slice(0, 12)}\` · policy pack \`${POLICY_PACK_DIR}/\`${run}`, "");
  if (results.length === 0) {
    lines.push("This PR changes no file that affects a stack (program, stack config or policy pack): nothing to preview.");
    return lines.join("\n");
  }
  lines.push("| stack | preview | changes | policy | access/parity report |", "|---|---|---|---|---|");
  for (const r of results) {
    const preview = r.previewCode === 0 ? "✅" : `❌ exit ${r.previewCode}`;
    const changes = r.summary ? (hasChanges(r.summary) ? changeLine(r.summary) : "no changes") : "—";
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
    } else {
      lines.push("The preview produced no readable JSON; see the workflow log.");
    }
    if (r.policy) lines.push("", "**Policy findings**", fenced(r.policy.text || "(no output)"));
    if (r.report) lines.push("", "**Access / parity report**", fenced(r.report.text || "(no output)"));
    lines.push("", "</details>");
  }
  lines.push(
    "",
    "_Policy and report run on the proposed state derived from the preview; stacks not changed by this PR are read from their current state._",
  );
  return lines.join("\n");
}

async function npmRun(script: string, args: string[]): Promise<ToolOutcome> {
  return classifyToolRun(await run("npm", ["run", "--silent", script, "--", ...args], { captureStdout: true }));
}

async function main(argv: string[]): Promise<number> {
  const usage = "pr-preview.ts --stacks '[\"qa\",\"staging\"]' --out <comment.md> [--work-dir .preview]";
  const flags = parseFlags(argv, { stacks: { type: "string" }, out: { type: "string" }, "work-dir": { type: "string" } }, usage);
  const stacks = parseStackList(requireFlag(flags.stacks, "stacks", usage));
  const out = requireFlag(flags.out, "out", usage);
  const dir = flags["work-dir"] ?? ".preview";
  mkdirSync(dir, { recursive: true });
  const results: StackPreview[] = [];
  if (stacks.length > 0) {
    assertBackend(process.env);
    const pulumi = new Pulumi();
    const files = new Map<LongLivedStack, string>();
    for (const stack of stacks) {
      const result: StackPreview = { stack, previewCode: 0 };
      const current = await pulumi.outputs(stack);
      if (typeof current.imageTag === "string" && current.imageTag !== "") {
        result.imageTag = current.imageTag;
        await pulumi.setImageTag(stack, current.imageTag);
      }
      const preview = await pulumi.attempt(previewArgs(stack), true);
      result.previewCode = preview.code;
      try {
        result.summary = parsePreviewSummary(preview.stdout);
        const file = join(dir, `${stack}.proposed.json`);
        writeFileSync(file, JSON.stringify(previewToExport(preview.stdout)));
        files.set(stack, file);
      } catch (err) {
        process.stderr.write(`warning: ${stack}: ${(err as Error).message}\n`);
      }
      results.push(result);
    }
    // Peers and the cluster stack not previewed here are judged from their current state.
    const fileFor = async (stack: LongLivedStack): Promise<string> => {
      const known = files.get(stack);
      if (known) return known;
      const file = join(dir, `${stack}.current.json`);
      writeFileSync(file, await pulumi.exportStack(stack));
      files.set(stack, file);
      return file;
    };
    for (const result of results) {
      const own = files.get(result.stack);
      if (!own) continue;
      const peer = referenceStack(result.stack);
      const args = offlineToolArgs(
        own,
        peer ? await fileFor(peer) : undefined,
        result.stack === "cluster" ? undefined : await fileFor("cluster"),
      );
      result.policy = await npmRun("policy:check", args);
      result.report = await npmRun("report", args);
    }
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
