/**
 * Kubernetes label selectors (matchLabels + matchExpressions), with the two readings the
 * evaluators need: "does this concrete label set match" and "could some label set match"
 * (for pods whose labels an adversary chooses).
 */
import { Unknown, isUnknown, list, str, stringMap } from "./values";

/** A label selector read from a resource; `unknown` when preview cannot know part of it. */
export interface Selector {
  matchLabels: Record<string, string>;
  matchExpressions: { key: string; operator: string; values: string[] }[];
  /** Part of the selector is unknown at preview. */
  unknown: boolean;
}

/** Reads a selector object (matchLabels/matchExpressions) from `obj` at `path`. */
export function readSelector(obj: unknown, ...path: string[]): Selector {
  const sel: Selector = { matchLabels: {}, matchExpressions: [], unknown: false };
  const ml = stringMap(obj, ...path, "matchLabels");
  if (isUnknown(ml)) {
    sel.unknown = true;
  } else {
    for (const [k, v] of Object.entries(ml)) {
      if (isUnknown(v)) {
        sel.unknown = true;
      } else {
        sel.matchLabels[k] = v;
      }
    }
  }
  const exprs = list(obj, ...path, "matchExpressions");
  if (isUnknown(exprs)) {
    sel.unknown = true;
    return sel;
  }
  for (const e of exprs) {
    const key = str(e, "key");
    const operator = str(e, "operator");
    const vs = list(e, "values");
    if (isUnknown(key) || isUnknown(operator) || isUnknown(vs) || key === undefined || operator === undefined) {
      sel.unknown = true;
      continue;
    }
    const values: string[] = [];
    for (const v of vs) {
      if (typeof v === "string") {
        values.push(v);
      } else if (isUnknown(v)) {
        sel.unknown = true;
      }
    }
    sel.matchExpressions.push({ key, operator, values });
  }
  return sel;
}

/** A selector built from a plain matchLabels map. */
export function labelSelector(matchLabels: Record<string, string>): Selector {
  return { matchLabels, matchExpressions: [], unknown: false };
}

/** True when the selector has no requirements (matches every label set). */
export function isEmptySelector(s: Selector): boolean {
  return !s.unknown && Object.keys(s.matchLabels).length === 0 && s.matchExpressions.length === 0;
}

/**
 * Does `labels` satisfy `s`? Unknown label values and unknown selector parts count as a match
 * when `unknownMatches` (the conservative reading for "could traffic be allowed").
 */
export function matches(
  s: Selector,
  labels: Record<string, string | Unknown> | Unknown,
  unknownMatches: boolean,
): boolean {
  if (s.unknown || isUnknown(labels)) {
    return unknownMatches;
  }
  for (const [k, v] of Object.entries(s.matchLabels)) {
    const l = labels[k];
    if (isUnknown(l)) {
      if (!unknownMatches) {
        return false;
      }
    } else if (l !== v) {
      return false;
    }
  }
  for (const e of s.matchExpressions) {
    const l = labels[e.key];
    if (isUnknown(l)) {
      if (!unknownMatches) {
        return false;
      }
      continue;
    }
    switch (e.operator) {
      case "In":
        if (l === undefined || !e.values.includes(l)) return false;
        break;
      case "NotIn":
        if (l !== undefined && e.values.includes(l)) return false;
        break;
      case "Exists":
        if (l === undefined) return false;
        break;
      case "DoesNotExist":
        if (l !== undefined) return false;
        break;
      default:
        // An operator the API server would reject; the object cannot exist as written.
        return false;
    }
  }
  return true;
}

/**
 * Could some label set satisfy `s`? (A pod in a namespace where developers create pods can
 * carry any labels, so a podSelector only narrows nothing unless it is contradictory.)
 */
export function satisfiable(s: Selector): boolean {
  if (s.unknown) {
    return true;
  }
  const must = new Map<string, Set<string> | "any">();
  const mustNot = new Map<string, Set<string> | "all">();
  const want = (k: string, vals: Set<string> | "any") => {
    const cur = must.get(k);
    if (cur === undefined || cur === "any") {
      must.set(k, vals === "any" && cur !== undefined ? cur : vals);
    } else if (vals !== "any") {
      must.set(k, new Set([...cur].filter((v) => vals.has(v))));
    }
  };
  for (const [k, v] of Object.entries(s.matchLabels)) {
    want(k, new Set([v]));
  }
  for (const e of s.matchExpressions) {
    if (e.operator === "In") want(e.key, new Set(e.values));
    else if (e.operator === "Exists") want(e.key, "any");
    else if (e.operator === "DoesNotExist") mustNot.set(e.key, "all");
    else if (e.operator === "NotIn") {
      const cur = mustNot.get(e.key);
      if (cur !== "all") mustNot.set(e.key, new Set([...(cur ?? []), ...e.values]));
    } else return false;
  }
  for (const [key, vals] of must) {
    const no = mustNot.get(key);
    if (no === "all") return false;
    if (vals !== "any") {
      const left = [...vals].filter((v) => !(no instanceof Set && no.has(v)));
      if (left.length === 0) return false;
    }
  }
  return true;
}

/** A short text form of a selector, for messages. */
export function showSelector(s: Selector): string {
  if (s.unknown) return "<unknown at preview>";
  const parts = Object.entries(s.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions) parts.push(`${e.key} ${e.operator} (${e.values.join(",")})`);
  return parts.length ? parts.join(",") : "<all>";
}
