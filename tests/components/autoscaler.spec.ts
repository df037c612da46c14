import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import { Autoscaler, AutoscalerArgs } from "../../components/autoscaler";
import { AutoscalingSettings } from "../../config/settings";
import { construct, created } from "../support/component";

const BOUNDS: AutoscalingSettings = { minReplicas: 3, maxReplicas: 8, cpuUtilization: 70, memoryUtilization: 80 };

function autoscaler(bounds: AutoscalingSettings = BOUNDS): Autoscaler {
  const deployment = new k8s.apps.v1.Deployment("core-api", { metadata: { name: "core-api", namespace: "staging" } });
  const args: AutoscalerArgs = { namespace: "staging", environment: "staging", appName: "myapp", deployment, bounds };
  return new Autoscaler("staging-core-api", args);
}

describe("Autoscaler", () => {
  it("scales the given Deployment between the bounds on CPU and memory utilisation", async () => {
    const { resources, urn } = await construct(() => autoscaler());
    const hpa = created(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "staging-core-api-hpa");
    assert.strictEqual(hpa.parent, urn);
    assert.deepStrictEqual(hpa.inputs.metadata, {
      name: "core-api",
      namespace: "staging",
      labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "myapp", "team-environments.dev/environment": "staging" },
    });
    assert.deepStrictEqual(hpa.inputs.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "core-api" });
    assert.strictEqual(hpa.inputs.spec.minReplicas, 3);
    assert.strictEqual(hpa.inputs.spec.maxReplicas, 8);
    assert.deepStrictEqual(hpa.inputs.spec.metrics, [
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
      { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: 80 } } },
    ]);
  });

  it("accepts equal bounds: a fixed size the HPA still owns", async () => {
    const { resources } = await construct(() => autoscaler({ ...BOUNDS, minReplicas: 4, maxReplicas: 4 }));
    const hpa = created(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "staging-core-api-hpa");
    assert.deepStrictEqual([hpa.inputs.spec.minReplicas, hpa.inputs.spec.maxReplicas], [4, 4]);
  });

  it("registers the HPA's name as its output", async () => {
    const { outputs } = await construct(() => autoscaler());
    assert.deepStrictEqual(outputs, { hpaName: "core-api" });
  });

  it("fails when maxReplicas is below minReplicas, quoting both", async () => {
    await assert.rejects(
      construct(() => autoscaler({ ...BOUNDS, minReplicas: 5, maxReplicas: 2 })),
      { message: "staging-core-api: maxReplicas 2 is below minReplicas 5" },
    );
  });
});
