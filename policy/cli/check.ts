/**
 * policy:check — runs the pack on recorded state (no preview), for CI and audits.
 *
 *   npm run --silent policy:check -- --stack <export.json> [--reference <peer-export.json>]
 *     [--cluster <export.json>] [--config <policy-config.json>]
 *
 * Prints one line per finding: `<level> <rule-id> <resource>: <reason>`. Exits 1 when a mandatory
 * rule is violated, 0 otherwise, 2 on unreadable input.
 */
import { policies } from "../policies";
import { runPack } from "../runner";
import { loadInputs, parseArgs, runCli } from "./args";

const USAGE =
  "usage: policy:check --stack <export.json> [--reference <peer-export.json>] [--cluster <export.json>] [--config <policy-config.json>]";

/** Entry point; returns the exit code. */
export async function main(
  argv: string[],
  out: (line: string) => void = (l) => process.stdout.write(l + "\n"),
  err: (line: string) => void = (l) => process.stderr.write(l + "\n"),
): Promise<number> {
  const args = parseArgs(argv, USAGE);
  const { stack, config, configFile } = loadInputs(args);
  const result = await runPack(policies, stack.resources, config);
  for (const f of result.findings) {
    out(`${f.level} ${f.policy} ${f.resource}: ${f.message.replace(/\s*\n\s*/g, " ")}`);
  }
  const mandatory = result.findings.filter((f) => f.level === "mandatory").length;
  err(
    `policy:check ${stack.stack || "(empty export)"} (${stack.resources.length} resources, config ${configFile ?? "pack defaults"}): ` +
      `${mandatory} mandatory, ${result.findings.length - mandatory} advisory finding(s)`,
  );
  return mandatory > 0 ? 1 : 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
