/**
 * The only module that reads Pulumi config. `loadSettings()` reads every key of the
 * `team-environments` namespace once, merges the shared base (base/) with the stack's deltas,
 * validates everything, and returns frozen settings — or throws one `ConfigError` listing every
 * problem (key, bad value, what is accepted) before any resource is registered.
 *
 *   keys.ts        the key table: scopes, formats, defaults
 *   reader.ts      reading raw values, collecting problems
 *   environment.ts what the stack name says (kind, namespace, hosts, guardrails)
 *   common.ts      keys every stack reads
 *   app.ts         app stacks (feature, qa, staging, production)
 *   cluster.ts     the cluster stack
 *   settings.ts    the settings types the components take
 */
import * as pulumi from "@pulumi/pulumi";
import { EnvironmentKind, LOCKED_ENVIRONMENTS } from "../policy/conventions";
import { readApp } from "./app";
import { readCluster } from "./cluster";
import { readCommon } from "./common";
import { readKind } from "./environment";
import { inScope, keySpec, KEYS, parityDeltaKeys } from "./keys";
import { CONFIG_NAMESPACE, ConfigError, Reader } from "./reader";
import { Settings } from "./settings";

export * from "./settings";
export { environmentHost, kindOfStack, MAX_ENVIRONMENT_NAME } from "./environment";
export { KEYS, parityDeltaKeys, parityEqualKeys } from "./keys";
export { CONFIG_NAMESPACE, ConfigError } from "./reader";

/**
 * Validates a raw config map (keys without the `team-environments:` prefix, values as Pulumi
 * passes them: strings, JSON for structured values) for the given stack. Pure: tests call it directly.
 */
export function parseSettings(stack: string, raw: Record<string, string>): Settings {
  const r = new Reader(raw);
  const kind = readKind(r, stack);
  if (kind !== undefined) checkKeys(r, kind);
  const common = readCommon(r);
  const kubeContext = r.setting("kubeContext");
  let settings: Settings | undefined;
  if (kind === "cluster") {
    settings = { kind, stack, kubeContext, cluster: readCluster(r, common) };
  } else if (kind !== undefined) {
    const app = readApp(r, kind, stack, common);
    if (app !== undefined) settings = { kind, stack, kubeContext, app };
  }
  if (r.problems.length > 0 || settings === undefined) throw new ConfigError(r.problems);
  return deepFreeze(settings);
}

/** Every key set must be in the key table and accepted by stacks of this kind. */
function checkKeys(r: Reader, kind: EnvironmentKind): void {
  for (const key of r.keys()) {
    const spec = keySpec(key);
    if (spec === undefined) {
      // Never shown: a misspelt secret key (alertReceiver for alertReceivers) holds a secret.
      r.failSecret(key, `unknown key; known keys are ${Object.keys(KEYS).join(", ")}`);
    } else if (!inScope(spec, kind) && spec.scopes !== "all") {
      const why = (LOCKED_ENVIRONMENTS as readonly string[]).includes(kind)
        ? `; ${kind} may only differ from its peer by ${parityDeltaKeys(kind).join(", ")}`
        : "";
      r.fail(key, r.string(key), `not accepted in ${kind} stacks (accepted in: ${spec.scopes.join(", ")})${why}`);
    }
  }
}

/**
 * Validated settings of `stack` from its whole config as the engine passes it (`project:key` →
 * string; other namespaces ignored): what `loadSettings` does inside the engine, for code outside
 * it (the local scripts read a stack's config with `pulumi config --json`).
 */
export function settingsOf(stack: string, config: Record<string, string>): Settings {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
  }
  return parseSettings(stack, raw);
}

/** Reads this stack's config and returns validated settings (see `parseSettings`). */
export function loadSettings(): Settings {
  return settingsOf(pulumi.getStack(), pulumi.runtime.allConfig());
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
