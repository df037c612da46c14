/**
 * Reading raw config values: the `Reader` collects every problem (key, bad value, what is
 * accepted) instead of stopping at the first, so that a user fixes their stack in one go.
 */
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_CATALOGUE } from "../base/catalogue";
import { ConfigKey, keySpec, KEYS, KeySpec } from "./keys";

/** The config namespace (the Pulumi project name). */
export const CONFIG_NAMESPACE = "team-environments";

/** Raised for invalid stack config; a RunError, so Pulumi prints the message without a stack trace. */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(
      `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** What `Reader.setting` returns: a string for keys with a default, else possibly undefined. */
type SettingValue<K extends ConfigKey> = (typeof KEYS)[K] extends { default: string } ? string : string | undefined;

/** Collects problems while reading; every reader returns undefined for absent or bad values. */
export class Reader {
  readonly problems: string[] = [];
  /** Top-level keys that had a problem. */
  readonly failed = new Set<string>();

  constructor(private readonly raw: Readonly<Record<string, string>>) {}

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  /** The keys that are set. */
  keys(): string[] {
    return Object.keys(this.raw);
  }

  /** A problem with `key` (`a.b.c` paths allowed); the value is shown unless the key is secret. */
  fail(key: string, value: unknown, accepted: string): undefined {
    if (keySpec(key.split(".")[0])?.secret) return this.failSecret(key, accepted);
    this.failed.add(key.split(".")[0]);
    this.problems.push(`${CONFIG_NAMESPACE}:${key} = ${show(value)}: ${accepted}`);
    return undefined;
  }

  /** A problem with a value that may hold a secret: named, never shown. */
  failSecret(key: string, accepted: string): undefined {
    this.failed.add(key.split(".")[0]);
    this.problems.push(`${CONFIG_NAMESPACE}:${key} (value not shown: it may be secret): ${accepted}`);
    return undefined;
  }

  /** A problem that is not about one key's value (several keys, or the stack itself). */
  problem(text: string): void {
    this.problems.push(text);
  }

  /**
   * A scalar key of the key table, checked against its format. Unset, it is the table's default.
   * Invalid, the problem is recorded and the default stands in, so that later checks do not
   * report follow-on problems (parseSettings throws before anything uses the value).
   */
  setting<K extends ConfigKey>(key: K): SettingValue<K> {
    const spec: KeySpec = KEYS[key];
    return (this.string(key, spec.format?.pattern, spec.format?.accepted) ?? spec.default) as SettingValue<K>;
  }

  string(key: string, pattern?: RegExp, accepted?: string): string | undefined {
    const value = this.raw[key];
    if (value === undefined) return undefined;
    if (pattern && !pattern.test(value)) return this.fail(key, value, accepted ?? `must match ${pattern}`);
    return value;
  }

  json(key: string): unknown {
    const value = this.raw[key];
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value);
    } catch {
      // A plain string where structured config was expected.
      return value;
    }
  }

  integer(key: string, min: number, max: number): number | undefined {
    const value = this.json(key);
    if (value === undefined) return undefined;
    return this.checkInteger(key, value, min, max);
  }

  /** `value` (a number, or digits in a string) as an integer in [min, max]. */
  checkInteger(key: string, value: unknown, min: number, max: number): number | undefined {
    const n = typeof value === "string" && /^-?[0-9]+$/.test(value) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      return this.fail(key, value, `an integer from ${min} to ${max}`);
    }
    return n;
  }

  stringList(key: string, pattern: RegExp, accepted: string): string[] | undefined {
    const value = this.json(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
      return this.fail(key, value, "a list of strings");
    }
    const bad = value.filter((v: string) => !pattern.test(v));
    if (bad.length > 0) return this.fail(key, bad, accepted);
    return value as string[];
  }

  object(key: string): Record<string, unknown> | undefined {
    const value = this.json(key);
    if (value === undefined) return undefined;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return this.fail(key, value, "an object (structured config: `pulumi config set --path`)");
    }
    return value as Record<string, unknown>;
  }

  /** Flags the fields of a structured value that are not among `known`. */
  unknownFields(key: string, value: Record<string, unknown>, known: readonly string[]): void {
    for (const k of Object.keys(value)) {
      if (!known.includes(k)) this.fail(`${key}.${k}`, value[k], `unknown field; fields are ${known.join(", ")}`);
    }
  }

  /** A map from service name to a string value, checked against the catalogue. */
  serviceMap(key: string, pattern: RegExp, accepted: string): Record<string, string> | undefined {
    const value = this.object(key);
    if (value === undefined) return undefined;
    const result: Record<string, string> = {};
    for (const [service, v] of Object.entries(value)) {
      if (!isService(service)) {
        this.fail(`${key}.${service}`, v, `unknown service; services are ${serviceNames().join(", ")}`);
      } else if (typeof v !== "string" || !pattern.test(v)) {
        this.fail(`${key}.${service}`, v, accepted);
      } else {
        result[service] = v;
      }
    }
    return result;
  }
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** The catalogue's service names. */
export function serviceNames(): string[] {
  return SERVICE_CATALOGUE.map((s) => s.name);
}

/** Whether `name` is a service of the catalogue. */
export function isService(name: string): boolean {
  return SERVICE_CATALOGUE.some((s) => s.name === name);
}
