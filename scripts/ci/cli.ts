/**
 * The thin I/O layer every CI script shares: argument parsing, error reporting without stack
 * traces, GitHub Actions outputs and annotations, and spawning child processes. The scripts'
 * decisions live in pure functions next to their CLIs; this file holds what touches the world.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** An expected failure (bad input, refused promotion, failed command): printed as one line, no stack trace. */
export class CiError extends Error {
  /** @param exitCode process exit code to use; 2 for usage errors, 1 otherwise (default 1). */
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = "CiError";
  }
}

/** Options of a script: name → string or boolean flag. */
export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

/** Parses `--flag value` arguments strictly; unknown flags and stray positionals are usage errors (exit 2). */
export function parseFlags<T extends FlagSpec>(
  argv: string[],
  options: T,
  usage: string,
): ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>["values"] {
  if (argv.includes("--help") || argv.includes("-h")) {
    throw new CiError(`usage: ${usage}`, 0);
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new CiError(`${(err as Error).message}\nusage: ${usage}`, 2);
  }
}

/** Returns a required string flag or fails with a usage error naming it. */
export function requireFlag(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value.trim() === "") {
    throw new CiError(`missing required --${flag}\nusage: ${usage}`, 2);
  }
  return value.trim();
}

/**
 * Runs a script's main function: a CiError prints `error: <message>` and exits with its code;
 * anything else prints its message only (set CI_DEBUG=1 for the stack).
 */
export function runCli(main: (argv: string[]) => Promise<number | void>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err: unknown) => {
      if (err instanceof CiError && err.exitCode === 0) {
        process.stdout.write(`${err.message}\n`);
        process.exitCode = 0;
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`error: ${message}\n`);
      if (process.env.CI_DEBUG === "1" && err instanceof Error && err.stack) {
        process.stderr.write(`${err.stack}\n`);
      }
      if (process.env.GITHUB_ACTIONS === "true") {
        process.stderr.write(`${annotation("error", message)}\n`);
      }
      process.exitCode = err instanceof CiError ? err.exitCode : 1;
    },
  );
}

/** Formats a GitHub Actions workflow command (`::error::…`), escaping what the runner would mangle. */
export function annotation(level: "error" | "warning" | "notice", message: string, title?: string): string {
  const escape = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  const props = title === undefined ? "" : ` title=${escape(title).replace(/:/g, "%3A").replace(/,/g, "%2C")}`;
  return `::${level}${props}::${escape(message)}`;
}

/**
 * Formats a `name<<delimiter` block for GITHUB_OUTPUT/GITHUB_ENV, safe for multi-line values.
 * The delimiter is random so a value can never end the block early.
 */
export function fileCommand(name: string, value: string, delimiter = `ghadelim_${randomBytes(8).toString("hex")}`): string {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
    throw new CiError(`invalid output name "${name}"`);
  }
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

/** Sets a step output (GITHUB_OUTPUT) or, outside Actions, prints `name=value`. */
export function setOutput(name: string, value: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.GITHUB_OUTPUT) {
    appendFileSync(env.GITHUB_OUTPUT, fileCommand(name, value));
  } else {
    process.stdout.write(`${name}=${value}\n`);
  }
}

/** Exports a variable to later steps of the job (GITHUB_ENV); a no-op outside Actions. */
export function exportEnv(name: string, value: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.GITHUB_ENV) {
    appendFileSync(env.GITHUB_ENV, fileCommand(name, value));
  }
}

/** Appends markdown to the job summary (GITHUB_STEP_SUMMARY); a no-op outside Actions. */
export function appendSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.GITHUB_STEP_SUMMARY) {
    appendFileSync(env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
  }
}

/** Reads and parses a JSON file, naming the file when it is missing or malformed. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CiError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseJson(text, path);
}

/** Parses JSON text, naming its source and the parser's complaint when it is malformed. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CiError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
}

/** What a finished child process left behind. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How to run a child process. */
export interface RunOptions {
  /** Capture stdout instead of streaming it to ours (default false: stream). */
  captureStdout?: boolean;
  /** Environment (default: ours). */
  env?: NodeJS.ProcessEnv;
  /** Variables set on top of that environment. */
  extraEnv?: Readonly<Record<string, string>>;
  /** Working directory (default: ours). */
  cwd?: string;
}

/** Runs a command without a shell (no quoting bugs, no injection); stderr always streams through. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.extraEnv ? { ...(options.env ?? process.env), ...options.extraEnv } : (options.env ?? process.env),
      cwd: options.cwd,
      stdio: ["ignore", options.captureStdout ? "pipe" : "inherit", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      process.stderr.write(chunk);
    });
    child.on("error", (err: NodeJS.ErrnoException) => {
      reject(
        new CiError(
          err.code === "ENOENT" ? `command not found: ${command}` : `cannot run ${command}: ${err.message}`,
        ),
      );
    });
    child.on("close", (code, signal) => {
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/**
 * An environment variable, with "" treated as unset: workflows pass `${{ vars.X }}` for
 * optional settings, which arrives as an empty string when the variable is not defined.
 */
export function envValue(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value;
}
