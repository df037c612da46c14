/**
 * The Kubernetes objects of a stack, as its program rendered them, for the kubectl side of
 * `npm run bench:e2e`: read from the stack's export, moved to another namespace, and split into the
 * steps in which the engine's dependency graph lets them be created.
 */
import { stringify } from "yaml";

/** Server-set metadata, dropped so that the object applies as new. */
const SERVER_FIELDS = ["uid", "resourceVersion", "managedFields", "creationTimestamp", "generation", "annotations"];
/** How a Pulumi export marks an encrypted (secret) value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A Kubernetes object of the stack and the URNs it depends on, directly or through others. */
export interface Rendered {
  urn: string;
  object: any;
  waitsFor: Set<string>;
}

/** The stack's Kubernetes objects (its inputs), moved from namespace `from` to `to`, in state order. */
export function renderObjects(doc: any, from: string, to: string): Rendered[] {
  const resources: any[] = doc?.deployment?.resources ?? [];
  const direct = new Map<string, string[]>(resources.map((r) => [r.urn, r.dependencies ?? []]));
  const waitsFor = (urn: string): Set<string> => {
    const all = new Set<string>();
    for (const todo = [...(direct.get(urn) ?? [])]; todo.length > 0; ) {
      const dep = todo.pop() as string;
      if (all.has(dep)) continue;
      all.add(dep);
      todo.push(...(direct.get(dep) ?? []));
    }
    return all;
  };
  const objects: Rendered[] = [];
  for (const r of resources) {
    if (!r.type?.startsWith("kubernetes:") || !r.custom || !r.inputs?.kind) continue;
    const o = JSON.parse(JSON.stringify(r.inputs).split(from).join(to));
    delete o.status;
    // Pulumi's bookkeeping in the provider's inputs (__inputs, __fieldManager, …).
    for (const k of Object.keys(o)) if (k.startsWith("__")) delete o[k];
    for (const f of SERVER_FIELDS) delete o.metadata?.[f];
    // Secret values are encrypted in the export; a stand-in of the same shape will do.
    if (o.kind === "Secret" && (o.data?.[SECRET_SIG] || o.stringData?.[SECRET_SIG])) {
      o.stringData = { username: "app", password: "bench", database: "app" };
      delete o.data;
    }
    objects.push({ urn: r.urn, object: o, waitsFor: waitsFor(r.urn) });
  }
  return objects;
}

/** Multi-document YAML of the objects, the namespace first. */
export function toYaml(objects: any[]): string {
  const sorted = [...objects].sort((a, b) => Number(b.kind === "Namespace") - Number(a.kind === "Namespace"));
  return sorted.map((o) => stringify(o)).join("---\n");
}

/** Kinds the engine waits on before their dependents: workloads until rolled out, Jobs until complete. */
const AWAITED = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);

/** Whether kubectl must wait for the object ({@link waitArgs}) as the engine does. */
export const isAwaited = (o: any): boolean => AWAITED.has(o.kind);

/** One kubectl step: objects applied together, then the awaited ones among them that later steps need. */
export interface Step {
  apply: any[];
  awaitBeforeNext: any[];
}

/**
 * The objects in the order the engine's graph promises, as kubectl steps: an object is applied once
 * every workload it depends on (directly or through others) is rolled out and every Job complete. So
 * the database is Ready before the migrations start and the migrations complete before the rollouts
 * that need them, while everything else goes in the first `kubectl apply`. Each step keeps state order
 * (the engine registers in dependency order): the namespace and its guardrails come before the pods
 * they admit. `rest` are the awaited objects no later step needed, to wait for at the end.
 */
export function promisedSteps(objects: Rendered[]): { steps: Step[]; rest: any[] } {
  const byUrn = new Map(objects.map((r) => [r.urn, r]));
  const level = new Map<string, number>();
  const levelOf = (r: Rendered): number => {
    const known = level.get(r.urn);
    if (known !== undefined) return known;
    level.set(r.urn, 0); // a cycle (only in a hand-made export) ends here
    let l = 0;
    for (const u of r.waitsFor) {
      const dep = byUrn.get(u);
      if (dep && u !== r.urn && isAwaited(dep.object)) l = Math.max(l, levelOf(dep) + 1);
    }
    level.set(r.urn, l);
    return l;
  };
  const steps: Step[] = [];
  for (const r of objects) {
    const l = levelOf(r);
    while (steps.length <= l) steps.push({ apply: [], awaitBeforeNext: [] });
    steps[l].apply.push(r.object);
  }
  const needed = new Set(objects.flatMap((r) => [...r.waitsFor]));
  const rest: any[] = [];
  for (const r of objects) {
    if (!isAwaited(r.object)) continue;
    (needed.has(r.urn) ? steps[levelOf(r)].awaitBeforeNext : rest).push(r.object);
  }
  return { steps, rest };
}

/** The kubectl arguments that wait for an awaited object: a Job to complete, a workload to roll out. */
export function waitArgs(o: any): string[] {
  const ref = `${String(o.kind).toLowerCase()}/${o.metadata.name}`;
  const wait = o.kind === "Job" ? ["wait", "--for=condition=complete", ref] : ["rollout", "status", ref];
  return [...wait, "-n", o.metadata.namespace, "--timeout=300s"];
}
