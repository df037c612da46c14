/**
 * Reading resource properties the way the engine hands them to a pack.
 *
 * During `pulumi preview` the engine wraps every property bag in `unknownCheckingProxy`, which
 * throws `UnknownValueError` as soon as a rule touches a value that is not known yet. A rule that
 * lets that escape is downgraded, whole, to an advisory "can't run during preview" message — for a
 * stack rule that means one unknown namespace silences the whole verdict. So every read here goes
 * through `at`, which turns an unknown into the `UNKNOWN` marker, and each evaluator decides what
 * an unknown means for it (usually: "could be anything", the conservative reading).
 *
 * Reads are targeted rather than a deep copy: walking a proxy costs ~1 µs per node, and the
 * pack runs every rule over fresh proxies, so rules touch only the fields they need.
 */

/** Marker for a value the engine cannot know yet (preview). */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
/** The type of {@link UNKNOWN}. */
export type Unknown = typeof UNKNOWN;

/** Plain JSON-like data after reading, with unknowns made explicit. */
export type Plain = null | boolean | number | string | Unknown | Plain[] | { [key: string]: Plain };

/** True when `v` is the {@link UNKNOWN} marker. */
export function isUnknown(v: unknown): v is Unknown {
  return v === UNKNOWN;
}

function isUnknownValueError(e: unknown): boolean {
  // Matched by class name, not `instanceof`, so the evaluators stay free of @pulumi/policy (and
  // its gRPC server) and still recognise the error from whichever copy the engine loaded.
  return e instanceof Error && e.constructor.name === "UnknownValueError";
}

/** Reads `obj[key]`, returning `UNKNOWN` where the engine's proxy reports an unknown value. */
export function field(obj: unknown, key: string | number): unknown {
  if (obj === null || obj === undefined || typeof obj !== "object") {
    return undefined;
  }
  try {
    return (obj as Record<string | number, unknown>)[key];
  } catch (e) {
    if (isUnknownValueError(e)) {
      return UNKNOWN;
    }
    throw e;
  }
}

/** Reads a path; stops at the first missing or unknown step (returning undefined / UNKNOWN). */
export function at(obj: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (cur === UNKNOWN) {
      return UNKNOWN;
    }
    cur = field(cur, key);
    if (cur === undefined || cur === null) {
      return cur;
    }
  }
  return cur;
}

/** A string at `path`, `UNKNOWN`, or undefined for anything else. */
export function str(obj: unknown, ...path: (string | number)[]): string | Unknown | undefined {
  const v = at(obj, ...path);
  return typeof v === "string" || v === UNKNOWN ? v : undefined;
}

/** A number at `path`, `UNKNOWN`, or undefined. */
export function num(obj: unknown, ...path: (string | number)[]): number | Unknown | undefined {
  const v = at(obj, ...path);
  return typeof v === "number" || v === UNKNOWN ? v : undefined;
}

/** The elements of an array at `path` (empty when absent); `UNKNOWN` when the array is unknown. */
export function list(obj: unknown, ...path: (string | number)[]): unknown[] | Unknown {
  const v = at(obj, ...path);
  if (v === UNKNOWN) {
    return UNKNOWN;
  }
  if (!Array.isArray(v)) {
    return [];
  }
  const out: unknown[] = [];
  const n = v.length;
  for (let i = 0; i < n; i++) {
    out.push(field(v, i));
  }
  return out;
}

/** The keys of an object at `path` (empty when absent or not an object). */
export function keys(obj: unknown, ...path: (string | number)[]): string[] | Unknown {
  const v = at(obj, ...path);
  if (v === UNKNOWN) {
    return UNKNOWN;
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    return [];
  }
  return Object.keys(v);
}

/** Deep-reads a subtree into plain data, with unknowns as `UNKNOWN`. Use on small subtrees. */
export function plain(obj: unknown, ...path: (string | number)[]): Plain | undefined {
  const v = at(obj, ...path);
  return toPlain(v);
}

function toPlain(v: unknown): Plain | undefined {
  if (v === undefined) {
    return undefined;
  }
  if (v === null || v === UNKNOWN || typeof v === "boolean" || typeof v === "number" || typeof v === "string") {
    return v;
  }
  if (Array.isArray(v)) {
    const out: Plain[] = [];
    const n = v.length;
    for (let i = 0; i < n; i++) {
      const e = toPlain(field(v, i));
      out.push(e === undefined ? null : e);
    }
    return out;
  }
  if (typeof v === "object") {
    const out: { [key: string]: Plain } = {};
    for (const k of Object.keys(v)) {
      const e = toPlain(field(v, k));
      if (e !== undefined) {
        out[k] = e;
      }
    }
    return out;
  }
  return undefined;
}

/** A string → string map (labels, selectors); unknown values stay `UNKNOWN`. */
export function stringMap(obj: unknown, ...path: (string | number)[]): Record<string, string | Unknown> | Unknown {
  const v = at(obj, ...path);
  if (v === UNKNOWN) {
    return UNKNOWN;
  }
  const out: Record<string, string | Unknown> = {};
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    return out;
  }
  for (const k of Object.keys(v)) {
    const e = field(v, k);
    if (typeof e === "string" || e === UNKNOWN) {
      out[k] = e;
    } else if (typeof e === "number" || typeof e === "boolean") {
      out[k] = String(e);
    }
  }
  return out;
}
