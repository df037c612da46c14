/**
 * Reading `pulumi stack export` files (deployment version 3) into the resources the pack sees.
 * The peer stacks of parity and the cluster-wide RBAC come from these files, i.e. from real
 * state, never from a hand-kept copy.
 */
import * as fs from "fs";
import { ResourceLike } from "./objects";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Placeholder for an encrypted secret: its value is unreadable, its presence is not. */
export const ENCRYPTED_SECRET = "[secret]";

/** A resource of a stack export. */
export interface ExportedResource {
  urn: string;
  custom?: boolean;
  id?: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  parent?: string;
  protect?: boolean;
  dependencies?: string[];
  provider?: string;
}

/** The `pulumi stack export` document. */
export interface StackExport {
  version: number;
  deployment: { manifest?: Record<string, unknown>; resources?: ExportedResource[] };
}

/** Bad input: names the file and what is wrong with it. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/** A stack read from an export. */
export interface LoadedStack {
  /** Stack name (from the URNs). */
  stack: string;
  /** Where it came from, for messages. */
  source: string;
  /** Resources, shaped like the engine's `PolicyResource` (plain props, no proxy). */
  resources: ResourceLike[];
}

/** Deepest nesting accepted in an export: real Kubernetes state stays far below it. */
export const MAX_EXPORT_DEPTH = 100;

/** Raised by `decodeSecrets` past `MAX_EXPORT_DEPTH`; the caller names the file and resource. */
class TooDeep extends Error {}

/** Decodes the engine's secret envelopes, refusing values nested deeper than `MAX_EXPORT_DEPTH`. */
function decodeSecrets(v: unknown, depth = 1): unknown {
  if (depth > MAX_EXPORT_DEPTH && v !== null && typeof v === "object") throw new TooDeep();
  if (Array.isArray(v)) {
    return v.map((e) => decodeSecrets(e, depth + 1));
  }
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SECRET_SIG] === SECRET_VALUE) {
      if (typeof o.plaintext === "string") {
        let parsed: unknown;
        try {
          parsed = JSON.parse(o.plaintext);
        } catch {
          return o.plaintext;
        }
        return decodeSecrets(parsed, depth + 1);
      }
      if ("value" in o) {
        return decodeSecrets(o.value, depth + 1);
      }
      return ENCRYPTED_SECRET;
    }
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(o)) {
      out[k] = decodeSecrets(e, depth + 1);
    }
    return out;
  }
  return v;
}

/**
 * Makes text from an input file safe for one terminal line: control, bidi and other invisible
 * characters become `\u` escapes, and long text is cut.
 */
export function safeText(s: string, max = 200): string {
  const escaped = s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

/** A URN's parts: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`. */
export interface ParsedUrn {
  stack: string;
  project: string;
  /** The resource's own type (the last `$`-separated part of the qualified type). */
  type: string;
  name: string;
}

/** Parses a Pulumi URN, or returns undefined when it is not one. */
export function parseUrn(urn: string): ParsedUrn | undefined {
  const m = /^urn:pulumi:([^:]+(?::[^:]+)*?)::([^:]+(?::[^:]+)*?)::([^:]+(?::[^:]+)*?)::(.+)$/s.exec(urn);
  if (!m) return undefined;
  const qualified = m[3];
  return { stack: m[1], project: m[2], type: qualified.slice(qualified.lastIndexOf("$") + 1), name: m[4] };
}

const OPTIONAL_FIELDS: [keyof ExportedResource, string][] = [
  ["inputs", "object"],
  ["outputs", "object"],
  ["parent", "string"],
  ["provider", "string"],
  ["id", "string"],
  ["protect", "boolean"],
  ["custom", "boolean"],
];

/** Checks one resource of `deployment.resources`; returns its parsed URN. */
function checkResource(r: unknown, source: string, i: number): ParsedUrn {
  const where = `deployment.resources[${i}]`;
  if (r === null || typeof r !== "object" || Array.isArray(r)) throw new InputError(`${source}: ${where} is not an object`);
  const res = r as Record<string, unknown>;
  if (typeof res.urn !== "string") throw new InputError(`${source}: ${where} has no string "urn"`);
  if (typeof res.type !== "string") throw new InputError(`${source}: ${where} has no string "type"`);
  const urn = parseUrn(res.urn);
  if (!urn) {
    throw new InputError(`${source}: ${where}.urn is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>): ${JSON.stringify(safeText(res.urn, 80))}`);
  }
  if (urn.type !== res.type) {
    throw new InputError(`${source}: ${where}.type ${JSON.stringify(safeText(res.type, 80))} does not match its URN's type ${JSON.stringify(safeText(urn.type, 80))}`);
  }
  for (const [field, want] of OPTIONAL_FIELDS) {
    const v = res[field];
    const got = v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
    if (v !== undefined && got !== want) throw new InputError(`${source}: ${where}.${field} must be ${want === "object" ? "an object" : `a ${want}`}, got ${got}`);
  }
  return urn;
}

/**
 * Checks the shape of an export document (`pulumi stack export`, deployment version 3): the
 * version, the deployment object, the resources array, every resource's URN, type and fields,
 * and that all resources belong to one stack. Returns the resources and the stack's name.
 */
function checkExport(doc: unknown, source: string): { entries: { r: ExportedResource; urn: ParsedUrn }[]; stack: string } {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new InputError(`${source}: not a \`pulumi stack export\` document (expected a JSON object)`);
  }
  const d = doc as Record<string, unknown>;
  if (d.version === undefined) throw new InputError(`${source}: not a \`pulumi stack export\` document (no "version")`);
  if (d.version !== 3) throw new InputError(`${source}: unsupported export version ${safeText(JSON.stringify(d.version) ?? "", 40)} (expected 3)`);
  const dep = d.deployment;
  if (dep === null || typeof dep !== "object" || Array.isArray(dep)) {
    throw new InputError(`${source}: not a \`pulumi stack export\` document (no "deployment" object)`);
  }
  const raw = (dep as Record<string, unknown>).resources ?? [];
  if (!Array.isArray(raw)) throw new InputError(`${source}: deployment.resources is not an array`);
  let stack = "";
  const entries = raw.map((r: unknown, i) => {
    const urn = checkResource(r, source, i);
    if (stack === "") stack = urn.stack;
    else if (urn.stack !== stack) {
      throw new InputError(`${source}: deployment.resources[${i}] belongs to stack ${JSON.stringify(safeText(urn.stack, 60))}, not ${JSON.stringify(stack)}; an export holds one stack`);
    }
    return { r: r as ExportedResource, urn };
  });
  return { entries, stack };
}

/** Parses an already-read export document. `source` names it in errors. */
export function parseStackExport(doc: unknown, source: string): LoadedStack {
  const { entries, stack } = checkExport(doc, source);
  const decode = (value: Record<string, unknown>, i: number): Record<string, unknown> => {
    try {
      return decodeSecrets(value) as Record<string, unknown>;
    } catch (e) {
      if (!(e instanceof TooDeep)) throw e;
      throw new InputError(`${source}: deployment.resources[${i}] nests deeper than ${MAX_EXPORT_DEPTH} levels; not a stack export this pack can read`);
    }
  };
  const providers = new Map<string, { entry: (typeof entries)[number]; index: number }>();
  entries.forEach((entry, index) => {
    if (entry.r.type.startsWith("pulumi:providers:")) providers.set(entry.r.urn, { entry, index });
  });
  const resources: ResourceLike[] = [];
  entries.forEach(({ r, urn }, i) => {
    if (r.type === "pulumi:pulumi:Stack" || r.type.startsWith("pulumi:providers:")) return;
    // The engine hands stack policies the resources' state (outputs): for Kubernetes objects the
    // live object, defaults filled in by the API server. Read exports the same way, so a stack in
    // preview and a peer from its export compare like with like.
    const props = decode(nonEmpty(r.outputs) ?? r.inputs ?? {}, i);
    const res: ResourceLike = { type: r.type, urn: r.urn, name: urn.name, props, opts: { protect: r.protect === true } };
    const p = typeof r.provider === "string" ? providers.get(r.provider.slice(0, r.provider.lastIndexOf("::"))) : undefined;
    if (p) {
      const { r: pr, urn: purn } = p.entry;
      res.provider = { type: pr.type, urn: pr.urn, name: purn.name, props: decode(pr.inputs ?? pr.outputs ?? {}, p.index) };
    }
    resources.push(res);
  });
  return { stack, source, resources };
}

const cache = new Map<string, { mtimeMs: number; size: number; stack: LoadedStack }>();

/** Reads and parses an export file (cached by path and mtime). Throws `InputError` on bad input. */
export function loadStackExport(file: string): LoadedStack {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read stack export (${ioReason(e)})`);
  }
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) {
    return hit.stack;
  }
  const stack = parseStackExport(readJsonFile(file, "stack export"), file);
  cache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, stack });
  return stack;
}

function nonEmpty(o: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return o && Object.keys(o).length > 0 ? o : undefined;
}

const IO_REASONS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "it is a directory",
  ENOTDIR: "a parent is not a directory",
};

/** Why a file could not be read, in a few words (the path is already in the message). */
function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return (code && IO_REASONS[code]) ?? code ?? safeText(String((e as Error).message ?? e), 80);
}

/** Reads a JSON file; an unreadable, binary or malformed file is an InputError naming the file and what it should be. */
export function readJsonFile(file: string, what: string): unknown {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read ${what} (${ioReason(e)})`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`${file}: not a ${what}: the file is not UTF-8 text`);
  }
  const nul = text.indexOf("\u0000");
  if (nul >= 0) throw new InputError(`${file}: not a ${what}: the file is binary (NUL byte at offset ${nul})`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not valid JSON for a ${what} (${safeText((e as Error).message, 120)})`);
  }
}
