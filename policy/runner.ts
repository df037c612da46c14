/**
 * Runs the pack's rules on a stack the way the engine's `analyzeStack` does (see
 * node_modules/@pulumi/policy/server.js): per rule, fresh `unknownCheckingProxy` wrappers over the
 * props, `getConfig` = the rule's config with schema defaults, `notApplicable` by throwing, an
 * `UnknownValueError` escaping a rule turns into one advisory "can't run during preview" finding,
 * and the enforcement level comes from config (`all`, then per rule), then the rule, then advisory.
 * Used by the CLI, the report, the tests and the bench.
 */
import type { EnforcementLevel, PolicyResource, StackValidationArgs } from "@pulumi/policy";
import { UnknownValueError, unknownCheckingProxy } from "@pulumi/policy";
import { ResourceLike, describe } from "./analysis/objects";
import { InputError, readJsonFile } from "./analysis/stack-export";
import { PackRule } from "./rules/kit";

/** `--policy-pack-config` JSON: `{ "all": level, "<rule>": level | { enforcementLevel?, ...props } }`. */
export type PackConfig = Record<string, unknown>;

/** One reported violation. */
export interface Finding {
  policy: string;
  level: Exclude<EnforcementLevel, "disabled" | "remediate">;
  severity?: string;
  message: string;
  urn?: string;
  /** Human name of the resource (`Deployment production/core-api`) or the stack. */
  resource: string;
}

/** Result of a run. */
export interface RunResult {
  findings: Finding[];
  notApplicable: { policy: string; reason: string }[];
}

const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

class NotApplicable extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

function schemaType(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/**
 * Validates a pack config against the rules' schemas, as `pulumi preview --policy-pack-config`
 * does, naming the file and key of every problem. Returns it unchanged when valid.
 */
export function validatePackConfig(config: unknown, rules: readonly PackRule[], source: string): PackConfig {
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new InputError(`${source}: policy config must be a JSON object keyed by rule id`);
  }
  const problems: string[] = [];
  const byName = new Map(rules.map((r) => [r.name, r]));
  for (const [key, value] of Object.entries(config)) {
    if (key === "all") {
      if (typeof value !== "string" || !LEVELS.includes(value)) problems.push(`"all": must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(value)}`);
      continue;
    }
    const rule = byName.get(key);
    if (!rule) {
      problems.push(`"${key}": no such rule (rules: ${[...byName.keys()].join(", ")})`);
      continue;
    }
    if (typeof value === "string") {
      if (!LEVELS.includes(value)) problems.push(`"${key}": enforcement level must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(value)}`);
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      problems.push(`"${key}": must be an enforcement level or an object, got ${JSON.stringify(value)}`);
      continue;
    }
    for (const [prop, v] of Object.entries(value as Record<string, unknown>)) {
      if (prop === "enforcementLevel") {
        if (typeof v !== "string" || !LEVELS.includes(v)) problems.push(`"${key}.enforcementLevel": must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(v)}`);
        continue;
      }
      const schema = rule.configSchema.properties[prop] as { type?: string; items?: { type?: string; enum?: unknown[] }; enum?: unknown[] } | undefined;
      if (!schema) {
        problems.push(`"${key}.${prop}": not a setting of ${key} (settings: ${Object.keys(rule.configSchema.properties).join(", ") || "none"})`);
        continue;
      }
      const t = schemaType(v);
      if (schema.type && t !== schema.type && !(schema.type === "number" && t === "integer")) {
        problems.push(`"${key}.${prop}": must be ${schema.type}, got ${JSON.stringify(v)}`);
      } else if (schema.enum && !schema.enum.includes(v)) {
        problems.push(`"${key}.${prop}": must be one of ${schema.enum.join(", ")}, got ${JSON.stringify(v)}`);
      } else if (Array.isArray(v) && schema.items) {
        v.forEach((e, i) => {
          if (schema.items?.type && schemaType(e) !== schema.items.type) problems.push(`"${key}.${prop}[${i}]": must be ${schema.items.type}, got ${JSON.stringify(e)}`);
          else if (schema.items?.enum && !schema.items.enum.includes(e))
            problems.push(`"${key}.${prop}[${i}]": must be one of ${schema.items.enum.join(", ")}, got ${JSON.stringify(e)}`);
        });
      }
    }
  }
  if (problems.length) throw new InputError(problems.map((p) => `${source}: invalid policy config: ${p}`).join("\n"));
  return config as PackConfig;
}

/** Reads and validates a policy config file. */
export function loadPackConfig(file: string, rules: readonly PackRule[]): PackConfig {
  return validatePackConfig(readJsonFile(file, "policy config"), rules, file);
}

/** Effective level and properties of a rule under a config (schema defaults applied). */
export function ruleSettings(rule: PackRule, config: PackConfig): { level: EnforcementLevel; props: Record<string, unknown> } {
  const entry = config[rule.name];
  const props: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(rule.configSchema.properties)) {
    const d = (s as { default?: unknown }).default;
    if (d !== undefined) props[k] = d;
  }
  let level: EnforcementLevel | undefined;
  if (typeof entry === "string") level = entry as EnforcementLevel;
  else if (entry && typeof entry === "object") {
    const { enforcementLevel, ...rest } = entry as Record<string, unknown>;
    level = enforcementLevel as EnforcementLevel | undefined;
    Object.assign(props, rest);
  }
  return { level: level ?? (config.all as EnforcementLevel | undefined) ?? rule.enforcementLevel ?? "advisory", props };
}

function toPolicyResource(r: ResourceLike): PolicyResource {
  // A fresh proxy per rule, like the engine's per-rule deserialisation.
  const props = unknownCheckingProxy(r.props) as Record<string, unknown>;
  const res = {
    type: r.type,
    props,
    urn: r.urn,
    name: r.name,
    opts: { protect: r.opts?.protect === true, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  } as unknown as PolicyResource;
  if (r.provider) (res as { provider?: unknown }).provider = { ...r.provider, props: unknownCheckingProxy(r.provider.props) };
  return res;
}

/** Runs `rules` over a stack's resources under `config`. Input errors (bad files/config) propagate. */
export async function runPack(rules: readonly PackRule[], resources: readonly ResourceLike[], config: PackConfig = {}): Promise<RunResult> {
  const findings: Finding[] = [];
  const notApplicable: RunResult["notApplicable"] = [];
  const names = new Map(resources.map((r) => [r.urn, r]));
  const stack = resources[0]?.urn.split("::")[0]?.replace("urn:pulumi:", "") ?? "";
  for (const rule of rules) {
    const { level, props } = ruleSettings(rule, config);
    if (level === "disabled") continue;
    const effective = level === "remediate" ? "mandatory" : level;
    const args: StackValidationArgs = {
      resources: resources.map(toPolicyResource),
      stackTags: new Map(),
      getConfig: <T extends object>() => ({ ...props }) as T,
      notApplicable: (reason?: string): never => {
        throw new NotApplicable(reason ?? "Policy does not apply");
      },
    };
    const report = (message: string, urn?: string) => {
      const r = urn ? names.get(urn) : undefined;
      findings.push({
        policy: rule.name,
        level: effective,
        severity: rule.severity,
        message,
        urn,
        resource: r ? describe(r).replace(/ /, ":") : urn ?? `stack ${stack}`,
      });
    };
    try {
      await Promise.resolve(rule.validateStack(args, report));
    } catch (e) {
      if (e instanceof UnknownValueError) {
        findings.push({
          policy: rule.name,
          level: "advisory",
          severity: rule.severity,
          message: `can't run policy '${rule.name}' during preview: ${(e as Error).message}`,
          resource: `stack ${stack}`,
        });
      } else if (e instanceof NotApplicable) {
        notApplicable.push({ policy: rule.name, reason: e.reason });
      } else if (e instanceof InputError) {
        throw e;
      } else {
        throw new Error(`Error validating stack with policy '${rule.name}': ${(e as Error).stack ?? String(e)}`);
      }
    }
  }
  return { findings, notApplicable };
}
