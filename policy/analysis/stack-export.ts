/**
 * Reading `pulumi stack export` files (deployment version 3) into the resources the pack sees.
 * The peer stacks of parity and the cluster-wide RBAC come from these files, i.e. from real
 * state, never from a hand-kept copy.
 */
import * as fs from "fs";
import { ResourceLike, stackOf } from "./objects";

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

function decodeSecrets(v: unknown): unknown {
  if (Array.isArray(v)) {
    return v.map(decodeSecrets);
  }
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SECRET_SIG] === SECRET_VALUE) {
      if (typeof o.plaintext === "string") {
        try {
          return decodeSecrets(JSON.parse(o.plaintext));
        } catch {
          return o.plaintext;
        }
      }
      if ("value" in o) {
        return decodeSecrets(o.value);
      }
      return ENCRYPTED_SECRET;
    }
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(o)) {
      out[k] = decodeSecrets(e);
    }
    return out;
  }
  return v;
}

/** Parses an already-read export document. `source` names it in errors. */
export function parseStackExport(doc: unknown, source: string): LoadedStack {
  const d = doc as StackExport;
  if (d === null || typeof d !== "object" || typeof d.deployment !== "object" || d.deployment === null) {
    throw new InputError(`${source}: not a \`pulumi stack export\` document (no "deployment" object)`);
  }
  if (d.version !== undefined && d.version !== 3) {
    throw new InputError(`${source}: unsupported export version ${JSON.stringify(d.version)} (expected 3)`);
  }
  const raw = d.deployment.resources ?? [];
  if (!Array.isArray(raw)) {
    throw new InputError(`${source}: deployment.resources is not an array`);
  }
  const providers = new Map<string, ExportedResource>();
  raw.forEach((r, i) => {
    if (r === null || typeof r !== "object" || typeof r.urn !== "string" || typeof r.type !== "string") {
      throw new InputError(`${source}: deployment.resources[${i}] has no string "urn" and "type"`);
    }
    if (r.type.startsWith("pulumi:providers:")) {
      providers.set(r.urn, r);
    }
  });
  const resources: ResourceLike[] = [];
  for (const r of raw) {
    if (r.type === "pulumi:pulumi:Stack" || r.type.startsWith("pulumi:providers:")) {
      continue;
    }
    // The engine hands stack policies the resources' state (outputs): for Kubernetes objects the
    // live object, defaults filled in by the API server. Read exports the same way, so a stack in
    // preview and a peer from its export compare like with like.
    const props = decodeSecrets(nonEmpty(r.outputs) ?? r.inputs ?? {}) as Record<string, unknown>;
    const name = r.urn.slice(r.urn.lastIndexOf("::") + 2);
    const res: ResourceLike = { type: r.type, urn: r.urn, name, props, opts: { protect: r.protect === true } };
    if (typeof r.provider === "string") {
      const purn = r.provider.slice(0, r.provider.lastIndexOf("::"));
      const p = providers.get(purn);
      if (p) {
        res.provider = {
          type: p.type,
          urn: p.urn,
          name: p.urn.slice(p.urn.lastIndexOf("::") + 2),
          props: decodeSecrets(p.inputs ?? p.outputs ?? {}) as Record<string, unknown>,
        };
      }
    }
    resources.push(res);
  }
  const first = raw.find((r) => r.urn.startsWith("urn:pulumi:"));
  return { stack: first ? stackOf(first.urn) : "", source, resources };
}

const cache = new Map<string, { mtimeMs: number; size: number; stack: LoadedStack }>();

/** Reads and parses an export file (cached by path and mtime). Throws `InputError` on bad input. */
export function loadStackExport(file: string): LoadedStack {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read stack export (${(e as Error).message})`);
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

/** Reads a JSON file; an unreadable or malformed file is an InputError naming the file and what it should be. */
export function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(`${file}: cannot read ${what} (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not valid JSON for a ${what} (${(e as Error).message})`);
  }
}
