/**
 * Reading another stack's state from inside `pulumi preview`/`up`: rules cannot reach other
 * stacks through the policy SDK (pulumi/pulumi-policy#195), but the engine starts the pack in the
 * project's directory with its own environment (backend URL or login, passphrase, PULUMI_HOME), so
 * `pulumi stack export --stack <name>` run from the pack reads the peer through the same backend
 * the CLI uses. Read-only, and without `--show-secrets`: secrets stay encrypted.
 */
import { spawnSync } from "child_process";
import { InputError, LoadedStack, parseStackExport, safeText } from "./stack-export";

/** What the backend holds for a stack. */
export type BackendStack =
  | { state: "found"; stack: LoadedStack }
  /** The stack does not exist, or exists with no resources (never deployed, or destroyed). */
  | { state: "empty"; why: string }
  /** The backend could not be asked (no CLI, not logged in, unreadable state): says why. */
  | { state: "unavailable"; why: string };

/** The CLI the pack asks: the one on PATH, normally the one running the engine (else the backend is unavailable, said so). */
const PULUMI = "pulumi";
const EXPORT_TIMEOUT_MS = 120_000;
const cache = new Map<string, BackendStack>();

/** The stack's state as `pulumi stack export` prints it in the current directory (cached per process). */
export function readBackendStack(stack: string): BackendStack {
  const hit = cache.get(stack);
  if (hit) return hit;
  const result = exportStack(stack);
  cache.set(stack, result);
  return result;
}

/** Forgets what was read (tests). */
export function forgetBackendStacks(): void {
  cache.clear();
}

function exportStack(stack: string): BackendStack {
  if (!/^[A-Za-z0-9_.\-/]+$/.test(stack)) return { state: "unavailable", why: `${JSON.stringify(safeText(stack, 60))} is not a stack name` };
  const r = spawnSync(PULUMI, ["stack", "export", "--stack", stack, "--non-interactive"], {
    encoding: "utf8",
    timeout: EXPORT_TIMEOUT_MS,
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? `the ${PULUMI} CLI is not on PATH` : code === "ETIMEDOUT" ? `pulumi stack export timed out after ${EXPORT_TIMEOUT_MS / 1000}s` : safeText(r.error.message, 120);
    return { state: "unavailable", why };
  }
  const stderr = safeText((r.stderr ?? "").trim().split("\n").filter(Boolean).pop() ?? "", 200);
  if (r.status !== 0) {
    // The CLI's words for a stack that does not exist in this backend and project.
    if (/no stack named|stack .* not found/i.test(r.stderr ?? "")) return { state: "empty", why: `stack ${stack} does not exist in this backend` };
    return { state: "unavailable", why: `pulumi stack export --stack ${stack} failed (exit ${r.status}): ${stderr}` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    return { state: "unavailable", why: `pulumi stack export --stack ${stack} printed no JSON` };
  }
  try {
    const loaded = parseStackExport(doc, `stack ${stack} (pulumi stack export)`);
    if (loaded.resources.length === 0) return { state: "empty", why: `stack ${stack} has no resources` };
    return { state: "found", stack: loaded };
  } catch (e) {
    if (e instanceof InputError) return { state: "unavailable", why: e.message };
    throw e;
  }
}
