/**
 * Reading the GitHub Actions event payload (GITHUB_EVENT_PATH) into the few fields the scripts
 * use, validated once. Pure apart from `readEvent`.
 */
import { CiError, readJsonFile } from "./cli";

/** What the scripts need from a `pull_request` event. */
export interface PullRequestInfo {
  /** PR number. */
  number: number;
  /** The PR head commit: the image the team's build pushed for this PR (`github.sha` is the merge commit). */
  headSha: string;
  /** Base branch, e.g. `main`. */
  baseRef: string;
  /** Event action (`opened`, `synchronize`, `closed`, …). */
  action: string;
  /** Whether a `closed` PR was merged. */
  merged: boolean;
}

/** A full or abbreviated git commit SHA, lowercase hex, 7–40 characters. */
export function parseCommitSha(raw: unknown, what = "commit SHA"): string {
  const text = typeof raw === "string" ? raw.trim() : undefined;
  if (text === undefined || !/^[0-9a-f]{7,40}$/.test(text)) {
    throw new CiError(`invalid ${what} ${JSON.stringify(raw)}: expected 7 to 40 lowercase hex characters`, 2);
  }
  return text;
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === "object" ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Extracts the pull request from a `pull_request`/`pull_request_target` event payload. */
export function pullRequestFromEvent(event: unknown): PullRequestInfo {
  const pr = field(event, "pull_request");
  const number = field(pr, "number") ?? field(event, "number");
  if (pr === undefined || typeof number !== "number" || !Number.isInteger(number) || number < 1) {
    throw new CiError("the event payload has no pull_request with a number: is this a pull_request event?", 2);
  }
  const head = field(pr, "head");
  const base = field(pr, "base");
  const baseRef = field(base, "ref");
  return {
    number,
    headSha: parseCommitSha(field(head, "sha"), "pull_request.head.sha"),
    baseRef: typeof baseRef === "string" ? baseRef : "",
    action: String(field(event, "action") ?? ""),
    merged: field(pr, "merged") === true,
  };
}

/** Reads the event payload named by GITHUB_EVENT_PATH. */
export function readEvent(env: NodeJS.ProcessEnv = process.env): unknown {
  if (!env.GITHUB_EVENT_PATH) {
    throw new CiError("GITHUB_EVENT_PATH is not set: run inside GitHub Actions or pass the values as flags", 2);
  }
  return readJsonFile(env.GITHUB_EVENT_PATH);
}
