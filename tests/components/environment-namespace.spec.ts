import * as assert from "assert";
import { EnvironmentNamespace, EnvironmentNamespaceArgs } from "../../components/environment-namespace";
import { conventionalNamespace } from "../../policy/analysis/netpol";
import { LABEL, NAMESPACE_KINDS } from "../../policy/conventions";
import { construct, created } from "../support/component";
import { promiseOf } from "../support/mocks";

const ARGS: EnvironmentNamespaceArgs = { environment: "feature-pr-7", kind: "feature", appName: "myapp" };
const NAMESPACE = "kubernetes:core/v1:Namespace";

describe("EnvironmentNamespace", () => {
  it("names the namespace after the environment and labels it for selection and restricted Pod Security", async () => {
    const { resources, urn } = await construct(() => new EnvironmentNamespace("feature-pr-7", ARGS));
    const ns = created(resources, NAMESPACE, "feature-pr-7-namespace");
    assert.strictEqual(ns.parent, urn);
    assert.deepStrictEqual(ns.inputs.metadata, {
      name: "feature-pr-7",
      labels: {
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/part-of": "myapp",
        "team-environments.dev/environment": "feature-pr-7",
        "team-environments.dev/kind": "feature",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
      },
    });
    assert.strictEqual(ns.protect, false, "unprotected by default");
  });

  it("enforces baseline in the monitoring namespace (its kind decides), still auditing and warning at restricted", async () => {
    const { resources } = await construct(() => new EnvironmentNamespace("monitoring", { ...ARGS, environment: "monitoring", kind: "monitoring" }));
    const labels = created(resources, NAMESPACE, "monitoring-namespace").inputs.metadata.labels;
    assert.strictEqual(labels["pod-security.kubernetes.io/enforce"], "baseline");
    assert.strictEqual(labels["pod-security.kubernetes.io/audit"], "restricted");
    assert.strictEqual(labels["pod-security.kubernetes.io/warn"], "restricted");
    assert.strictEqual(labels["team-environments.dev/kind"], "monitoring");
  });

  it("writes exactly the labels the pack's network evaluator assumes for a namespace of its kind that is not in view", async () => {
    for (const kind of NAMESPACE_KINDS) {
      const environment = kind === "feature" ? "feature-pr-7" : kind;
      const { resources } = await construct(() => new EnvironmentNamespace(environment, { environment, kind, appName: "shop" }));
      const written = created(resources, NAMESPACE, `${environment}-namespace`).inputs.metadata.labels;
      // The API server adds the name label; the pack adds it to its stand-in too.
      assert.deepStrictEqual({ ...written, [LABEL.namespaceName]: environment }, conventionalNamespace(environment, "shop").labels, kind);
    }
  });

  it("protects the namespace from deletion when asked (production)", async () => {
    const { resources } = await construct(() => new EnvironmentNamespace("production", { ...ARGS, environment: "production", kind: "production", protect: true }));
    assert.strictEqual(created(resources, NAMESPACE, "production-namespace").protect, true);
  });

  it("registers the namespace's name, which is also its name property", async () => {
    const { component, outputs } = await construct(() => new EnvironmentNamespace("feature-pr-7", ARGS));
    assert.deepStrictEqual(outputs, { name: "feature-pr-7" });
    assert.strictEqual(await promiseOf(component.name), "feature-pr-7");
  });
});
