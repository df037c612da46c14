/**
 * Smoke test of an app stack: every URL in its `urls` output must answer 2xx/3xx within a few
 * attempts. URLs come from the stack, never from a second copy of the host naming rules.
 *
 * CLI: smoke.ts --stack <s> [--path /] [--attempts 30] [--interval 10]
 *      SMOKE_BASIC_AUTH="user:password" adds basic auth (qa and staging sit behind a basic-auth middleware).
 */
import { CiError, envValue, parseFlags, requireFlag, runCli } from "./cli";
import { assertAppStack } from "./stack-name";
import { Pulumi, type StackOutputs } from "./pulumi";

/** One URL to probe. */
export interface SmokeTarget {
  service: string;
  url: string;
}

/** Builds the probe list from a stack's `urls` output (service → `https://host`) plus a path. */
export function smokeTargets(outputs: StackOutputs, path = "/"): SmokeTarget[] {
  if (!path.startsWith("/")) throw new CiError(`invalid smoke path "${path}": it must start with "/"`, 2);
  const urls = outputs.urls;
  if (urls === null || typeof urls !== "object" || Array.isArray(urls)) {
    throw new CiError("the stack has no urls output (map service → https://host): nothing to smoke-test");
  }
  const targets = Object.entries(urls as Record<string, unknown>).map(([service, base]) => {
    if (typeof base !== "string" || !/^https?:\/\/[^\s/]+\/?$/.test(base)) {
      throw new CiError(`urls.${service} is ${JSON.stringify(base)}: expected "https://host"`);
    }
    return { service, url: `${base.replace(/\/$/, "")}${path}` };
  });
  if (targets.length === 0) throw new CiError("the stack's urls output is empty: nothing to smoke-test");
  return targets.sort((a, b) => a.service.localeCompare(b.service));
}

/** Whether an HTTP status counts as up: 2xx or 3xx. A 401 means the basic-auth secret is missing. */
export function isHealthyStatus(status: number): boolean {
  return status >= 200 && status < 400;
}

/** The `Authorization` header for `user:password`, or undefined. */
export function basicAuthHeader(credentials: string | undefined): string | undefined {
  if (credentials === undefined || credentials === "") return undefined;
  if (!credentials.includes(":")) throw new CiError("SMOKE_BASIC_AUTH must look like user:password");
  return `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;
}

/** The fetch subset used; tests pass a fake. */
export type FetchLike = (url: string, init: { headers: Record<string, string>; redirect: "manual"; signal: AbortSignal }) => Promise<{ status: number }>;

/** How to probe. */
export interface SmokeOptions {
  /** Tries per URL (default 30). */
  attempts?: number;
  /** Milliseconds between tries (default 10000). */
  intervalMs?: number;
  /** Per-request timeout in milliseconds (default 10000). */
  timeoutMs?: number;
  /** `Authorization` header value (default none). */
  authorization?: string;
  /** HTTP client (default global fetch). */
  fetchFn?: FetchLike;
  /** Sleep (default setTimeout); tests pass a no-op. */
  sleep?: (ms: number) => Promise<void>;
  /** Progress log (default stderr). */
  log?: (line: string) => void;
}

/** Result per target. */
export interface SmokeResult extends SmokeTarget {
  ok: boolean;
  /** Last status, or the network error text. */
  last: string;
  tries: number;
}

/** Probes every target until it answers healthy or attempts run out; never throws for a down URL. */
export async function runSmoke(targets: SmokeTarget[], options: SmokeOptions = {}): Promise<SmokeResult[]> {
  const attempts = options.attempts ?? 30;
  const intervalMs = options.intervalMs ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const fetchFn = options.fetchFn ?? (fetch as unknown as FetchLike);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const headers: Record<string, string> = options.authorization ? { authorization: options.authorization } : {};
  const results: SmokeResult[] = [];
  for (const target of targets) {
    let last = "not tried";
    let ok = false;
    let tries = 0;
    while (!ok && tries < attempts) {
      if (tries > 0) await sleep(intervalMs);
      tries++;
      try {
        const response = await fetchFn(target.url, { headers, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
        last = `HTTP ${response.status}`;
        ok = isHealthyStatus(response.status);
      } catch (err) {
        last = (err as Error).message;
      }
      log(`smoke ${target.service} ${target.url}: ${last} (try ${tries}/${attempts})`);
    }
    results.push({ ...target, ok, last, tries });
  }
  return results;
}

/** Turns failed results into one error message, or undefined when all passed. */
export function smokeFailure(results: SmokeResult[]): string | undefined {
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) return undefined;
  return `smoke test failed: ${failed.map((r) => `${r.service} ${r.url} → ${r.last}`).join("; ")}`;
}

/** Parses a positive integer flag, quoting the bad value. */
export function positiveInt(raw: string | undefined, flag: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^[1-9][0-9]*$/.test(raw)) throw new CiError(`invalid --${flag} "${raw}": expected a positive integer`, 2);
  return Number(raw);
}

async function main(argv: string[]): Promise<void> {
  const usage = "smoke.ts --stack <s> [--path /] [--attempts 30] [--interval 10]";
  const flags = parseFlags(
    argv,
    { stack: { type: "string" }, path: { type: "string" }, attempts: { type: "string" }, interval: { type: "string" } },
    usage,
  );
  const stack = assertAppStack(requireFlag(flags.stack, "stack", usage));
  const targets = smokeTargets(await new Pulumi().outputs(stack), flags.path ?? envValue("SMOKE_PATH") ?? "/");
  const results = await runSmoke(targets, {
    attempts: positiveInt(flags.attempts, "attempts", 30),
    intervalMs: positiveInt(flags.interval, "interval", 10) * 1000,
    authorization: basicAuthHeader(envValue("SMOKE_BASIC_AUTH")),
  });
  const failure = smokeFailure(results);
  if (failure) throw new CiError(failure);
  process.stdout.write(`smoke test passed: ${results.map((r) => r.url).join(", ")}\n`);
}

if (require.main === module) runCli(main);
