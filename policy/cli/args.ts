/**
 * Argument handling shared by policy:check and report: `--stack <export.json>`,
 * `--reference <peer-export.json>`, `--cluster <export.json>`, `--config <policy-config.json>`.
 */
import * as path from "path";
import { stackKind } from "../analysis/objects";
import { InputError, LoadedStack, loadStackExport, safeText } from "../analysis/stack-export";
import { policies } from "../policies";
import { PackConfig, loadPackConfig } from "../runner";

/** Parsed command line. */
export interface CliArgs {
  stack: string;
  reference?: string;
  cluster?: string;
  config?: string;
}

/** Parses argv (without node and script). Throws `InputError` on bad usage. */
export function parseArgs(argv: string[], usage: string): CliArgs {
  const out: Partial<CliArgs> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--(stack|reference|cluster|config)(?:=(.*))?$/.exec(a);
    if (!m) throw new InputError(`unknown argument ${JSON.stringify(a)}\n${usage}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === "") throw new InputError(`--${m[1]} needs a file\n${usage}`);
    out[m[1] as keyof CliArgs] = value;
  }
  if (!out.stack) throw new InputError(`--stack <export.json> is required\n${usage}`);
  return out as CliArgs;
}

/** The committed config for a stack's kind (`cluster` owns production's guardrails, so it gets production's). */
export function defaultConfigFor(stack: string): string | undefined {
  const kind = stackKind(stack);
  const file = kind === "cluster" ? "production" : kind;
  return ["feature", "qa", "staging", "production"].includes(file) ? path.join(__dirname, "..", "config", `${file}.json`) : undefined;
}

/** Loads the stack and the config, with the export paths injected into every rule that takes them. */
export function loadInputs(args: CliArgs): { stack: LoadedStack; config: PackConfig; configFile?: string } {
  const stack = loadStackExport(args.stack);
  if (args.reference) loadStackExport(args.reference);
  if (args.cluster) loadStackExport(args.cluster);
  const configFile = args.config ?? defaultConfigFor(stack.stack);
  const config: PackConfig = configFile ? { ...loadPackConfig(configFile, policies) } : {};
  for (const rule of policies) {
    const inject: Record<string, string | boolean> = {};
    if (args.reference && "referenceStackExport" in rule.configSchema.properties) inject.referenceStackExport = args.reference;
    if (args.cluster && "clusterStackExport" in rule.configSchema.properties) inject.clusterStackExport = args.cluster;
    // Offline: the tool reads the files it is given, never a backend.
    if ("peerFromBackend" in rule.configSchema.properties) inject.peerFromBackend = false;
    if (Object.keys(inject).length === 0) continue;
    const entry = config[rule.name];
    config[rule.name] =
      typeof entry === "string" ? { enforcementLevel: entry, ...inject } : { ...((entry as Record<string, unknown>) ?? {}), ...inject };
  }
  return { stack, config, configFile };
}

/**
 * Runs `main`, mapping input errors to exit 2 with one `error:` line per problem, every line made
 * safe for a terminal (never a stack trace, never raw bytes from an input file).
 */
export function runCli(main: () => Promise<number>, argv: string[] = process.argv.slice(2)): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      const lines =
        e instanceof InputError
          ? e.message.split("\n")
          : [`internal error while checking ${argv.join(" ")}: ${String((e as Error)?.message ?? e).split("\n")[0]}`];
      for (const line of lines) process.stderr.write(line.startsWith("usage: ") ? `${line}\n` : `error: ${safeText(line, 400)}\n`);
      process.exitCode = 2;
    },
  );
}
