import * as assert from "assert";
import { EnvironmentNamespace, EnvironmentNamespaceArgs } from "../../components/environment-namespace";
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

  it("enforces baseline when asked, still auditing and warning at restricted", async () => {
    const { resources } = await construct(() => new EnvironmentNamespace("monitoring", { ...ARGS, environment: "monitoring", kind: "monitoring", podSecurity: "baseline" }));
    const labels = created(resources, NAMESPACE, "monitoring-namespace").inputs.metadata.labels;
    assert.strictEqual(labels["pod-security.kubernetes.io/enforce"], "baseline");
    assert.strictEqual(labels["pod-security.kubernetes.io/audit"], "restricted");
    assert.strictEqual(labels["pod-security.kubernetes.io/warn"], "restricted");
    assert.strictEqual(labels["team-environments.dev/kind"], "monitoring");
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
