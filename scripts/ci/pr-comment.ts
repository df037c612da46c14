/**
 * One pull request comment per purpose, updated in place instead of piling up. A hidden marker
 * (`<!-- team-environments:<name> -->`) identifies the comment; the plan is pure and the CLI
 * applies it with GitHub's REST API (fetch + GITHUB_TOKEN).
 *
 * CLI: pr-comment.ts --marker <name> --body-file <file.md> [--pr <N>]
 *      pr-comment.ts --marker feature-environment --feature <deployed|failed|destroyed> --stack <s>
 *                    [--url <url>] [--image-tag <tag>] [--run-url <url>] [--pr <N>]
 *      (PR from --pr or the event; repository from GITHUB_REPOSITORY)
 */
import { readFileSync } from "node:fs";
import { CiError, envValue, parseFlags, requireFlag, runCli } from "./cli";
import { pullRequestFromEvent, readEvent } from "./github-event";
import { assertStackName, parsePrNumber } from "./stack-name";

/** GitHub's limit on a comment body. */
export const MAX_COMMENT_CHARS = 65_536;

/** The login the workflow's GITHUB_TOKEN comments as. */
export const ACTIONS_BOT = "github-actions[bot]";

/** An existing issue comment, as the REST API returns it (fields used). */
export interface ExistingComment {
  id: number;
  body?: string | null;
  user?: { login?: string } | null;
}

/** What to do with the PR's comments. */
export type CommentPlan =
  | { action: "create"; body: string; deleteIds: number[] }
  | { action: "update"; id: number; body: string; deleteIds: number[] }
  | { action: "none"; id: number; deleteIds: number[] };

/** The hidden marker line for a comment purpose; names are kebab-case. */
export function markerFor(name: string): string {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) {
    throw new CiError(`invalid comment marker "${name}": use kebab-case letters and digits`, 2);
  }
  return `<!-- team-environments:${name} -->`;
}

/** Prefixes the marker and trims the body to GitHub's limit, saying so when it had to cut. */
export function commentBody(body: string, marker: string, limit = MAX_COMMENT_CHARS): string {
  const full = `${marker}\n${body.trim()}\n`;
  if (full.length <= limit) return full;
  const note = "\n\n…(truncated: see the workflow run's summary for the full text)\n";
  return full.slice(0, limit - note.length) + note;
}

/**
 * Plans the upsert: update the oldest of our comments carrying the marker (or leave it when the
 * body is identical), delete any later duplicates a race produced, create one when none exists.
 * Comments by other users are never touched, even if they quote the marker.
 */
export function upsertComment(existing: ExistingComment[], body: string, marker: string, author = ACTIONS_BOT): CommentPlan {
  const wanted = commentBody(body, marker);
  const ours = existing
    .filter((c) => c.user?.login === author && (c.body ?? "").includes(marker))
    .sort((a, b) => a.id - b.id);
  if (ours.length === 0) return { action: "create", body: wanted, deleteIds: [] };
  const [keep, ...duplicates] = ours;
  const deleteIds = duplicates.map((c) => c.id);
  return keep.body === wanted
    ? { action: "none", id: keep.id, deleteIds }
    : { action: "update", id: keep.id, body: wanted, deleteIds };
}

/** States of a preview environment a PR comment reports. */
export const FEATURE_STATES = ["deployed", "failed", "destroyed"] as const;

/** Facts for the preview-environment comment. */
export interface FeatureCommentArgs {
  state: string;
  stack: string;
  url?: string;
  imageTag?: string;
  runUrl?: string;
}

/** Renders the preview-environment comment (without its marker). */
export function renderFeatureComment(args: FeatureCommentArgs): string {
  const image = args.imageTag ? ` · image \`${args.imageTag.slice(0, 12)}\`` : "";
  const run = args.runUrl ? ` · [workflow run](${args.runUrl})` : "";
  switch (args.state) {
    case "deployed":
      return [
        "### Preview environment ready",
        "",
        args.url ? `**${args.url}**` : "_The stack exports no URL._",
        "",
        `Stack and namespace \`${args.stack}\`${image}${run}`,
        "",
        "Updated on every push; destroyed when the PR is closed or merged.",
      ].join("\n");
    case "failed":
      return [
        "### Preview environment: deploy failed",
        "",
        `Stack \`${args.stack}\`${image}${run}. The previous deployment, if any, may still be running; see the run log.`,
      ].join("\n");
    case "destroyed":
      return `### Preview environment removed\n\nStack and namespace \`${args.stack}\` were destroyed${run}.`;
    default:
      throw new CiError(`invalid --feature "${args.state}": expected one of ${FEATURE_STATES.join(", ")}`, 2);
  }
}

/** The next page URL from a `Link` header, or undefined. */
export function nextPageUrl(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}

/** Minimal GitHub REST client for issue comments (CLI layer only). */
class GitHubComments {
  constructor(
    private readonly api: string,
    private readonly repo: string,
    private readonly token: string,
  ) {}

  private async call(method: string, url: string, body?: unknown): Promise<Response> {
    const response = await fetch(url, {
      method,
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${this.token}`,
        "x-github-api-version": "2022-11-28",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new CiError(`GitHub API ${method} ${url.replace(this.api, "")} answered ${response.status}`);
    }
    return response;
  }

  async list(pr: number): Promise<ExistingComment[]> {
    const all: ExistingComment[] = [];
    let url: string | undefined = `${this.api}/repos/${this.repo}/issues/${pr}/comments?per_page=100`;
    while (url) {
      const response = await this.call("GET", url);
      all.push(...((await response.json()) as ExistingComment[]));
      url = nextPageUrl(response.headers.get("link"));
    }
    return all;
  }

  async apply(pr: number, plan: CommentPlan): Promise<string> {
    const base = `${this.api}/repos/${this.repo}/issues`;
    let result: string;
    if (plan.action === "create") {
      await this.call("POST", `${base}/${pr}/comments`, { body: plan.body });
      result = "created";
    } else if (plan.action === "update") {
      await this.call("PATCH", `${base}/comments/${plan.id}`, { body: plan.body });
      result = `updated #${plan.id}`;
    } else {
      result = `unchanged #${plan.id}`;
    }
    for (const id of plan.deleteIds) await this.call("DELETE", `${base}/comments/${id}`);
    return plan.deleteIds.length > 0 ? `${result}, removed ${plan.deleteIds.length} duplicate(s)` : result;
  }
}

async function main(argv: string[]): Promise<void> {
  const usage =
    "pr-comment.ts --marker <name> (--body-file <file.md> | --feature <state> --stack <s> [--url u] [--image-tag t] [--run-url u]) [--pr <N>]";
  const flags = parseFlags(
    argv,
    {
      marker: { type: "string" },
      "body-file": { type: "string" },
      pr: { type: "string" },
      feature: { type: "string" },
      stack: { type: "string" },
      url: { type: "string" },
      "image-tag": { type: "string" },
      "run-url": { type: "string" },
    },
    usage,
  );
  const marker = markerFor(requireFlag(flags.marker, "marker", usage));
  let body: string;
  if (flags.feature !== undefined) {
    body = renderFeatureComment({
      state: flags.feature,
      stack: assertStackName(requireFlag(flags.stack, "stack", usage)),
      url: flags.url || undefined,
      imageTag: flags["image-tag"] || undefined,
      runUrl: flags["run-url"] || undefined,
    });
  } else {
    const bodyFile = requireFlag(flags["body-file"], "body-file", usage);
    try {
      body = readFileSync(bodyFile, "utf8");
    } catch {
      throw new CiError(`cannot read --body-file ${bodyFile}`, 2);
    }
  }
  const pr = flags.pr !== undefined ? parsePrNumber(flags.pr) : pullRequestFromEvent(readEvent()).number;
  const repo = envValue("GITHUB_REPOSITORY");
  const token = envValue("GITHUB_TOKEN");
  if (!repo || !/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new CiError(`GITHUB_REPOSITORY ${JSON.stringify(repo)} is not owner/name`, 2);
  if (!token) throw new CiError("GITHUB_TOKEN is not set (pass secrets.GITHUB_TOKEN with pull-requests: write)", 2);
  const client = new GitHubComments(envValue("GITHUB_API_URL") ?? "https://api.github.com", repo, token);
  const plan = upsertComment(await client.list(pr), body, marker);
  process.stdout.write(`PR #${pr} comment ${marker}: ${await client.apply(pr, plan)}\n`);
}

if (require.main === module) runCli(main);
