/**
 * Runs the real index.ts under mocks for a stack, with that stack's real config: the project
 * defaults from Pulumi.yaml, then Pulumi.<stack>.yaml, then test overrides — the engine's order.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { installMocks, promiseOf, RecordedResource } from "./mocks";

export const ROOT = path.resolve(__dirname, "..", "..");
const PROJECT = "team-environments";

/** What one run of the program produced. */
export interface ProgramRun {
  stack: string;
  resources: RecordedResource[];
  /** The stack exports as the module exported them (Outputs unresolved). */
  exports: Record<string, unknown>;
}

/** Config of a stack as the engine would pass it: `project:key` → string (JSON for structured values). */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
  const result: Record<string, string> = {};
  const put = (key: string, value: unknown) => {
    const full = key.includes(":") ? key : `${PROJECT}:${key}`;
    result[full] = typeof value === "string" ? value : JSON.stringify(value);
  };
  const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
  for (const [key, spec] of Object.entries<any>(project.config ?? {})) {
    if (spec && typeof spec === "object" && "value" in spec) put(key, spec.value);
    else if (spec && typeof spec === "object" && "default" in spec) put(key, spec.default);
    else put(key, spec);
  }
  const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
  if (fs.existsSync(file)) {
    for (const [key, value] of Object.entries(parse(fs.readFileSync(file, "utf8"))?.config ?? {})) put(key, value);
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete result[key.includes(":") ? key : `${PROJECT}:${key}`];
    else put(key, value);
  }
  return result;
}

/** Default overrides so that a feature stack, which has no committed file, can run (CI sets imageTag). */
export function defaultOverrides(stack: string): Record<string, unknown> {
  return stack.startsWith("feature-pr-") ? { imageTag: "9b1d3c7" } : {};
}

/**
 * Forgets index.ts so the next require runs the composition root again. The modules it imports
 * are stateless (config is read when loadSettings() is called), so they stay compiled and cached.
 */
function forgetProgramModules() {
  delete require.cache[require.resolve(path.join(ROOT, "index.ts"))];
}

/**
 * Waits until registrations settle: none of the lists (recorded resources, registered outputs…)
 * has grown for eight short ticks in a row.
 */
export async function settled(...lists: readonly unknown[][]): Promise<void> {
  const size = () => lists.reduce((n, list) => n + list.length, 0);
  let quiet = 0;
  let last = -1;
  while (quiet < 8) {
    await new Promise((r) => setTimeout(r, 2));
    if (size() === last) quiet++;
    else quiet = 0;
    last = size();
  }
}

/** Runs index.ts for `stack`; reports a failure to load instead of throwing, with what had registered by then. */
export async function tryRunProgram(
  stack: string,
  overrides: Record<string, unknown> = {},
  beforeLoad?: () => void,
): Promise<{ error?: unknown; run: ProgramRun }> {
  pulumi.runtime.setAllConfig(stackConfig(stack, { ...defaultOverrides(stack), ...overrides }), []);
  const resources = await installMocks(PROJECT, stack);
  forgetProgramModules();
  beforeLoad?.();
  let stackExports: Record<string, unknown> = {};
  let error: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    stackExports = require(path.join(ROOT, "index.ts")) as Record<string, unknown>;
  } catch (e) {
    error = e;
  }
  await settled(resources);
  return { error, run: { stack, resources, exports: stackExports } };
}

/** Runs index.ts for `stack` and waits until every resource has registered. */
export async function runProgram(
  stack: string,
  overrides: Record<string, unknown> = {},
  beforeLoad?: () => void,
): Promise<ProgramRun> {
  const { error, run } = await tryRunProgram(stack, overrides, beforeLoad);
  if (error !== undefined) throw error;
  return run;
}

/** Resolves every export of a run. */
export async function resolvedExports(run: ProgramRun): Promise<Record<string, any>> {
  const out: Record<string, any> = {};
  for (const [key, value] of Object.entries(run.exports)) out[key] = await promiseOf(value as pulumi.Input<unknown>);
  return out;
}

/** The run as `pulumi stack export` would write it (version 3), for the policy pack's CLI. */
export function toStackExport(run: ProgramRun): any {
  return {
    version: 3,
    deployment: {
      manifest: { time: new Date(0).toISOString(), magic: "", version: "v3.0.0" },
      resources: [
        {
          urn: `urn:pulumi:${run.stack}::${PROJECT}::pulumi:pulumi:Stack::${PROJECT}-${run.stack}`,
          custom: false,
          type: "pulumi:pulumi:Stack",
        },
        ...run.resources.map((r) => ({
          urn: r.urn,
          custom: r.custom,
          id: r.custom ? `${r.name}-id` : undefined,
          type: r.type,
          inputs: r.wireInputs,
          outputs: r.wireInputs,
          parent: r.parent,
          protect: r.protect || undefined,
          dependencies: r.dependencies,
        })),
      ],
    },
  };
}

/** The resources of a run of one type token. */
export function ofType(run: ProgramRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

/** The one resource of a type whose metadata name (and namespace, if given) match. */
export function find(run: ProgramRun, type: string, name: string, namespace?: string): RecordedResource {
  const matches = ofType(run, type).filter(
    (r) => r.inputs.metadata?.name === name && (namespace === undefined || r.inputs.metadata?.namespace === namespace),
  );
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} named ${name}${namespace ? ` in ${namespace}` : ""}, found ${matches.length}`);
  }
  return matches[0];
}
