/**
 * Which long-lived stacks a pull request can change, from the files it touches. Conservative: a
 * stack file previews its own stack; docs, tests, scripts and workflows preview nothing; any other
 * change (the program, a new folder of it, its dependencies, the policy pack) previews every
 * long-lived stack.
 *
 * CLI: affected-stacks.ts [--base <ref>] [--files-from <file>]
 *      (default: `git diff --name-only <base>...HEAD`, base from GITHUB_BASE_REF)
 *      outputs: stacks (JSON array), any (true|false)
 */
import { readFileSync } from "node:fs";
import { CiError, envValue, parseFlags, run, runCli, setOutput } from "./cli";
import { isLongLivedStack, LONG_LIVED_STACKS, type LongLivedStack } from "./stack-name";

/** Paths that never change a stack (prefixes end with "/"). */
const INERT = ["docs/", "tests/", "scripts/", "bench/", ".github/", ".vscode/", "README", "LICENSE", ".gitignore", ".prettierrc", ".mocharc", "eslint.config"];

/** Stacks affected by a set of changed paths (repository-relative, `/`-separated), in promotion order. */
export function affectedStacks(changedFiles: string[]): LongLivedStack[] {
  const hit = new Set<LongLivedStack>();
  for (const raw of changedFiles) {
    const file = raw.trim().replace(/^\.\//, "");
    if (file === "") continue;
    const stackFile = /^Pulumi\.([^/]+)\.ya?ml$/.exec(file);
    if (stackFile) {
      // Feature stacks have no committed file; an unknown one belongs to nobody this pipeline runs.
      if (isLongLivedStack(stackFile[1])) hit.add(stackFile[1]);
      continue;
    }
    if (INERT.some((p) => file.startsWith(p))) continue;
    // Anything else may change what the program deploys: a folder added tomorrow included.
    return [...LONG_LIVED_STACKS];
  }
  return LONG_LIVED_STACKS.filter((s) => hit.has(s));
}

/** Validates a git ref used as diff base, quoting a bad one (it ends up in a git argument). */
export function parseBaseRef(raw: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(raw) || raw.includes("..")) {
    throw new CiError(`invalid base ref ${JSON.stringify(raw)}`, 2);
  }
  return raw;
}

async function main(argv: string[]): Promise<void> {
  const usage = "affected-stacks.ts [--base <ref>] [--files-from <file>]";
  const flags = parseFlags(argv, { base: { type: "string" }, "files-from": { type: "string" } }, usage);
  let files: string[];
  if (flags["files-from"] !== undefined) {
    files = readFileSync(flags["files-from"], "utf8").split("\n");
  } else {
    const base = parseBaseRef(flags.base ?? (envValue("GITHUB_BASE_REF") ? `origin/${envValue("GITHUB_BASE_REF")}` : "origin/main"));
    const diff = await run("git", ["diff", "--name-only", `${base}...HEAD`], { captureStdout: true });
    if (diff.code !== 0) throw new CiError(`git diff against ${base} failed: is the checkout deep enough (fetch-depth: 0)?`);
    files = diff.stdout.split("\n");
  }
  const stacks = affectedStacks(files);
  process.stderr.write(`affected stacks: ${stacks.length > 0 ? stacks.join(", ") : "none"}\n`);
  setOutput("stacks", JSON.stringify(stacks));
  setOutput("any", String(stacks.length > 0));
}

if (require.main === module) runCli(main);
