/**
 * What a whole-stack rule sees: the stack's own resources plus, when configured, the resources
 * of other stacks read from their `pulumi stack export` files (rules cannot reach other stacks
 * themselves, pulumi/pulumi-policy#195).
 */
import { ResourceLike, stackOfResources } from "./objects";
import { InputError, LoadedStack, loadStackExport } from "./stack-export";

/** JSON-schema fragment for a path to a stack export, shared by the rules that accept one. */
export const EXPORT_PATH_SCHEMA = {
  type: "string" as const,
  description: "Path to a `pulumi stack export` JSON file (relative to the working directory).",
};

/** The view of a rule. */
export interface StackView {
  /** Name of the stack being checked. */
  stack: string;
  /** Its resources. */
  own: readonly ResourceLike[];
  /** Own resources followed by those of the extra exports (URN-deduplicated, own first). */
  all: ResourceLike[];
  /** The extra stacks loaded. */
  extra: LoadedStack[];
}

/** Builds the view from the engine's resources and other stacks: export paths or stacks already loaded (undefined is skipped). */
export function stackView(own: readonly ResourceLike[], exports: (string | LoadedStack | undefined)[]): StackView {
  const seen = new Set(own.map((r) => r.urn));
  const all: ResourceLike[] = [...own];
  const extra: LoadedStack[] = [];
  for (const p of exports) {
    if (p === undefined || p === "") continue;
    if (typeof p !== "string" && !(typeof p === "object" && Array.isArray(p.resources))) {
      throw new InputError(`policy config: export path must be a string, got ${JSON.stringify(p)}`);
    }
    const s = typeof p === "string" ? loadStackExport(p) : p;
    extra.push(s);
    for (const r of s.resources) {
      if (!seen.has(r.urn)) {
        seen.add(r.urn);
        all.push(r);
      }
    }
  }
  return { stack: stackOfResources(own), own, all, extra };
}

/** Reads a string-array config value, naming the key when it is malformed. */
export function stringList(cfg: Record<string, unknown>, key: string, fallback: string[]): string[] {
  const v = cfg[key];
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || v.some((e) => typeof e !== "string")) {
    throw new InputError(`policy config: "${key}" must be an array of strings, got ${JSON.stringify(v)}`);
  }
  return v as string[];
}

/** Reads an optional string config value. */
export function optString(cfg: Record<string, unknown>, key: string): string | undefined {
  const v = cfg[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new InputError(`policy config: "${key}" must be a string, got ${JSON.stringify(v)}`);
  return v;
}

/** Reads a boolean config value. */
export function bool(cfg: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = cfg[key];
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") throw new InputError(`policy config: "${key}" must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}
