/**
 * Builds one ComponentResource on its own under the recording mocks (pulumi-awsx style), without
 * running the program, and hands back what it registered: its children and its registered outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { AppSettings, ClusterSettings, parseSettings } from "../../config";
import { installMocks, promiseOf, RecordedResource, unwrapSecrets } from "./mocks";
import { settled } from "./program";

const PROJECT = "team-environments";

/** What constructing one component produced. */
export interface Constructed<T> {
  component: T;
  /** The component's URN: its children's `parent`. */
  urn: string;
  /** Every resource registered, the component itself included. */
  resources: RecordedResource[];
  /** What the component passed to `registerOutputs`, resolved, secrets unwrapped. */
  outputs: Record<string, any>;
}

/**
 * Installs the mocks for `stack`, runs `build` and waits until its registrations (and registered
 * outputs) settle. A constructor that throws rejects the promise with its error.
 */
export async function construct<T extends pulumi.Resource>(build: () => T, stack = "test"): Promise<Constructed<T>> {
  const resources = await installMocks(PROJECT, stack);
  const registered: { urn: string; outputs: Record<string, any> }[] = [];
  const monitor = pulumi.runtime.getMonitor() as any;
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req: any, callback: (err: any, res: any) => void) => {
    registered.push({ urn: req.getUrn(), outputs: unwrapSecrets(req.getOutputs()?.toJavaScript() ?? {}) });
    registerOutputs(req, callback);
  };
  let component: T;
  try {
    component = build();
  } finally {
    await settled(resources, registered);
  }
  const urn = await promiseOf(component.urn);
  await settled(resources, registered);
  const outputs = registered.find((r) => r.urn === urn)?.outputs;
  if (outputs === undefined) throw new Error(`${urn} registered no outputs`);
  return { component, urn, resources, outputs };
}

/** The resources whose parent is `urn`, optionally of one type. */
export function childrenOf(resources: RecordedResource[], urn: string, type?: string): RecordedResource[] {
  return resources.filter((r) => r.parent === urn && (type === undefined || r.type === type));
}

/** The one resource of `type` with this Pulumi name (`${name}-<role>`); throws unless there is exactly one. */
export function created(resources: RecordedResource[], type: string, name: string): RecordedResource {
  const matches = resources.filter((r) => r.type === type && r.name === name);
  if (matches.length !== 1) {
    const names = resources.filter((r) => r.type === type).map((r) => r.name);
    throw new Error(`expected one ${type} named ${name}, found ${matches.length} (${names.join(", ") || "none of that type"})`);
  }
  return matches[0];
}

/** Settings of an application stack as config/index.ts derives them (`raw`: config without the project prefix). */
export function appSettings(stack: string, raw: Record<string, string> = { imageTag: "abc1234" }): AppSettings {
  const settings = parseSettings(stack, raw);
  if (settings.kind === "cluster") throw new Error(`${stack} is not an application stack`);
  return settings.app;
}

/** Settings of the cluster stack as config/index.ts derives them. */
export function clusterSettings(raw: Record<string, string> = {}): ClusterSettings {
  const settings = parseSettings("cluster", raw);
  if (settings.kind !== "cluster") throw new Error("expected cluster settings");
  return settings.cluster;
}
