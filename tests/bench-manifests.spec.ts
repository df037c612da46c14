import * as assert from "assert";
import { parseAllDocuments } from "yaml";
import { promisedSteps, renderObjects, toYaml, waitArgs } from "../bench/manifests";

const urn = (type: string, name: string) => `urn:pulumi:feature-pr-9::team-environments::${type}::${name}`;
const ns = "feature-pr-9";

/** A resource of a stack export: a Kubernetes object of `kind` named `name`, depending on `deps`. */
function k8s(type: string, kind: string, name: string, deps: string[] = [], extra: Record<string, unknown> = {}) {
  return {
    urn: urn(type, name),
    custom: true,
    type,
    dependencies: deps,
    inputs: { apiVersion: "v1", kind, metadata: { name, namespace: ns, uid: "u", resourceVersion: "1", annotations: { a: "b" } }, __fieldManager: "pulumi", ...extra },
  };
}

const namespace = { ...k8s("kubernetes:core/v1:Namespace", "Namespace", ns), inputs: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } } };
const quota = k8s("kubernetes:core/v1:ResourceQuota", "ResourceQuota", "quota", [namespace.urn]);
const secret = k8s("kubernetes:core/v1:Secret", "Secret", "db", [namespace.urn], { stringData: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "x" } });
const database = k8s("kubernetes:apps/v1:StatefulSet", "StatefulSet", "postgres", [quota.urn, secret.urn]);
const component = { urn: urn("team-environments:app:AppService", "core-api"), custom: false, type: "team-environments:app:AppService", dependencies: [] };
const job = k8s("kubernetes:batch/v1:Job", "Job", "core-api-migrations", [database.urn]);
const migrated = k8s("kubernetes:apps/v1:Deployment", "Deployment", "core-api", [job.urn]);
const plain = k8s("kubernetes:apps/v1:Deployment", "Deployment", "pwa", [quota.urn]);
const doc = { deployment: { resources: [{ urn: urn("pulumi:pulumi:Stack", "s"), type: "pulumi:pulumi:Stack", custom: false }, namespace, quota, secret, database, component, job, migrated, plain] } };

describe("bench manifests (the kubectl side of bench:e2e)", () => {
  it("renders each Kubernetes object of the export in the other namespace, without server fields, Pulumi bookkeeping or secrets", () => {
    const objects = renderObjects(doc, ns, "feature-pr-950").map((r) => r.object);
    assert.deepStrictEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.namespace ?? ""}`),
      ["Namespace/feature-pr-950@", "ResourceQuota/quota@feature-pr-950", "Secret/db@feature-pr-950", "StatefulSet/postgres@feature-pr-950", "Job/core-api-migrations@feature-pr-950", "Deployment/core-api@feature-pr-950", "Deployment/pwa@feature-pr-950"],
    );
    for (const o of objects) {
      assert.deepStrictEqual(Object.keys(o.metadata).sort(), o.kind === "Namespace" ? ["name"] : ["name", "namespace"]);
      assert.ok(!("__fieldManager" in o), o.kind);
    }
    const rendered = objects.find((o) => o.kind === "Secret");
    assert.deepStrictEqual(rendered.stringData, { username: "app", password: "bench", database: "app" });
    // YAML with the namespace first, as one `kubectl apply` needs.
    const yaml = toYaml([...objects].reverse());
    assert.deepStrictEqual(parseAllDocuments(yaml).map((d) => d.toJS().kind)[0], "Namespace");
    assert.strictEqual(parseAllDocuments(yaml).length, objects.length);
  });

  it("splits the objects into the steps the dependency graph promises, waiting only for what a later step needs", () => {
    const { steps, rest } = promisedSteps(renderObjects(doc, ns, ns));
    const names = (xs: any[]) => xs.map((o) => o.metadata.name);
    // The guardrails, the database and what does not need it come first (state order: namespace first);
    // the migrations once the database is rolled out; only the service they migrate once they complete.
    assert.deepStrictEqual(
      steps.map((s) => [names(s.apply), names(s.awaitBeforeNext)]),
      [
        [[ns, "quota", "db", "postgres", "pwa"], ["postgres"]],
        [["core-api-migrations"], ["core-api-migrations"]],
        [["core-api"], []],
      ],
    );
    assert.deepStrictEqual(names(rest), ["core-api", "pwa"]);
    assert.deepStrictEqual(waitArgs(steps[0].awaitBeforeNext[0]), ["rollout", "status", "statefulset/postgres", "-n", ns, "--timeout=300s"]);
    assert.deepStrictEqual(waitArgs(steps[1].awaitBeforeNext[0]), ["wait", "--for=condition=complete", "job/core-api-migrations", "-n", ns, "--timeout=300s"]);
  });

  it("waits for a database that is a Deployment as for one that is a StatefulSet", () => {
    const dbDeployment = { ...database, type: "kubernetes:apps/v1:Deployment", inputs: { ...database.inputs, kind: "Deployment" } };
    const { steps } = promisedSteps(renderObjects({ deployment: { resources: [namespace, dbDeployment, job, migrated] } }, ns, ns));
    assert.deepStrictEqual(
      steps.map((s) => s.apply.map((o) => o.metadata.name)),
      [[ns, "postgres"], ["core-api-migrations"], ["core-api"]],
    );
  });

  it("follows dependencies through components and does not loop on a cycle in a hand-made export", () => {
    const viaComponent = { ...component, dependencies: [job.urn] };
    const late = k8s("kubernetes:core/v1:ConfigMap", "ConfigMap", "late", [viaComponent.urn]);
    const a = k8s("kubernetes:apps/v1:Deployment", "Deployment", "a", [urn("kubernetes:apps/v1:Deployment", "b")]);
    const b = k8s("kubernetes:apps/v1:Deployment", "Deployment", "b", [a.urn]);
    const { steps } = promisedSteps(renderObjects({ deployment: { resources: [database, job, viaComponent, late, a, b] } }, ns, ns));
    assert.ok(steps[2].apply.some((o) => o.metadata.name === "late"));
    // Each object in exactly one step, whatever the cycle makes of their order.
    assert.deepStrictEqual(steps.flatMap((s) => s.apply).map((o) => o.metadata.name).sort(), ["a", "b", "core-api-migrations", "late", "postgres"]);
  });
});
