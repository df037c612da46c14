/**
 * Reading `pulumi preview --json` and `pulumi refresh --preview-only --json` (the CLI's
 * PreviewDigest: `steps`, `diagnostics`, `changeSummary`) into what a reviewer needs, and turning
 * a preview into the export shape the offline policy/report tools read.
 */
import { CiError, parseJson } from "./cli";

/** One resource the operation would touch. */
export interface ChangedResource {
  op: string;
  type: string;
  name: string;
  /** Top-level properties that differ (update/replace steps; refresh drift). */
  diff: string[];
}

/** The parts of a preview a PR comment or drift report shows. */
export interface PreviewSummary {
  /** Count per operation, e.g. `{ create: 2, same: 40 }`. */
  changes: Record<string, number>;
  /** Every resource whose operation is not `same` (or, for refresh, that has a diff). */
  changed: ChangedResource[];
  /** Error diagnostics, in order. */
  errors: string[];
  /** Warning diagnostics, in order (policy advisories arrive here when the CLI reports them). */
  warnings: string[];
}

/** Operations that change nothing. */
const NO_CHANGE_OPS = new Set(["same", "read", "refresh"]);

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Splits a URN (`urn:pulumi:stack::project::parentType$type::name`) into its type and name. */
export function urnParts(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  if (parts.length < 4 || !parts[0].startsWith("urn:pulumi:")) return { type: "?", name: urn };
  const types = parts[2].split("$");
  return { type: types[types.length - 1], name: parts.slice(3).join("::") };
}

function diffKeys(step: Record<string, unknown>): string[] {
  const keys = new Set<string>();
  for (const k of Array.isArray(step.diffReasons) ? step.diffReasons : []) if (typeof k === "string") keys.add(k);
  for (const k of Object.keys(record(step.detailedDiff) ?? {})) keys.add(k.split(/[.[]/)[0]);
  return [...keys].sort();
}

/** Parses the JSON of `pulumi preview --json` or `pulumi refresh --preview-only --json`. */
export function parsePreviewSummary(json: unknown): PreviewSummary {
  const digest = record(typeof json === "string" ? parseJson(json, "pulumi preview --json output") : json);
  if (digest === undefined) throw new CiError("pulumi preview --json output is not a JSON object");
  const changes: Record<string, number> = {};
  for (const [op, count] of Object.entries(record(digest.changeSummary) ?? {})) {
    if (typeof count === "number" && count > 0) changes[op] = count;
  }
  const changed: ChangedResource[] = [];
  for (const raw of Array.isArray(digest.steps) ? digest.steps : []) {
    const step = record(raw);
    if (!step || typeof step.op !== "string" || typeof step.urn !== "string") continue;
    const diff = diffKeys(step);
    // A refresh step is "refresh" whether or not the live object changed; only a diff makes it drift.
    if (NO_CHANGE_OPS.has(step.op) && diff.length === 0) continue;
    const { type, name } = urnParts(step.urn);
    if (type === "pulumi:pulumi:Stack") continue;
    changed.push({ op: step.op, type, name, diff });
  }
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const raw of Array.isArray(digest.diagnostics) ? digest.diagnostics : []) {
    const diag = record(raw);
    const message = typeof diag?.message === "string" ? diag.message.trim() : "";
    if (!diag || message === "") continue;
    const where = typeof diag.urn === "string" && diag.urn !== "" ? `${urnParts(diag.urn).name}: ` : "";
    if (diag.severity === "error") errors.push(`${where}${message}`);
    else if (diag.severity === "warning") warnings.push(`${where}${message}`);
  }
  return { changes, changed, errors, warnings };
}

/** True when the summary proposes any change to a resource. */
/** How many resources the counts say change (every operation but same/read/refresh). */
export function changeCount(summary: PreviewSummary): number {
  return Object.entries(summary.changes).reduce((n, [op, count]) => (NO_CHANGE_OPS.has(op) ? n : n + count), 0);
}

export function hasChanges(summary: PreviewSummary): boolean {
  return summary.changed.length > 0 || Object.keys(summary.changes).some((op) => !NO_CHANGE_OPS.has(op));
}

/** One line such as `+2 ~1 -0 (40 unchanged)`. */
export function changeLine(summary: PreviewSummary): string {
  const c = summary.changes;
  const n = (op: string) => c[op] ?? 0;
  const replaced = n("replace") + n("create-replacement");
  return `+${n("create")} ~${n("update")} ±${replaced} -${n("delete")} (${n("same")} unchanged)`;
}

/**
 * The proposed state of a stack in `pulumi stack export` shape, built from a preview's steps
 * (each step's `newState` is the resource as it would be after `up`; deletions drop out).
 * Outputs of resources not yet created are what the provider could predict, usually the inputs.
 */
export function previewToExport(json: unknown): { version: 3; deployment: { resources: unknown[] } } {
  const digest = record(typeof json === "string" ? parseJson(json, "pulumi preview --json output") : json);
  if (digest === undefined) throw new CiError("pulumi preview --json output is not a JSON object");
  const byUrn = new Map<string, unknown>();
  for (const raw of Array.isArray(digest.steps) ? digest.steps : []) {
    const step = record(raw);
    if (!step || typeof step.urn !== "string") continue;
    if (step.op === "delete" || step.op === "delete-replaced" || step.op === "discard" || step.op === "discard-replaced") {
      // Keep a replacement's new state if it was seen first; drop plain deletions.
      if (step.op === "delete" || step.op === "discard") byUrn.delete(step.urn);
      continue;
    }
    if (record(step.newState)) byUrn.set(step.urn, step.newState);
  }
  return { version: 3, deployment: { resources: [...byUrn.values()] } };
}
