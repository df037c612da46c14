import * as assert from "assert";
import { Quota, QuotaArgs } from "../../components/quota";
import { baseLabels } from "../../policy/conventions";
import { construct, created } from "../support/component";

const ARGS: QuotaArgs = {
  namespace: "feature-pr-7",
  environment: "feature-pr-7",
  appName: "myapp",
  quota: {
    requestsCpu: "1",
    requestsMemory: "1Gi",
    limitsCpu: "2",
    limitsMemory: "2Gi",
    pods: 15,
    services: 10,
    persistentVolumeClaims: 0,
    requestsStorage: "0",
  },
};

describe("Quota", () => {
  it("caps the namespace with a ResourceQuota of the profile's hard limits", async () => {
    const { resources, urn } = await construct(() => new Quota("feature-pr-7", ARGS));
    const quota = created(resources, "kubernetes:core/v1:ResourceQuota", "feature-pr-7-quota");
    assert.strictEqual(quota.parent, urn);
    assert.deepStrictEqual(quota.inputs.metadata, {
      name: "environment-quota",
      namespace: "feature-pr-7",
      labels: baseLabels("myapp", "feature-pr-7"),
      // `up` is done with it once the quota controller has written its status (k8s/await.ts), watched, not polled.
      annotations: { "pulumi.com/waitFor": "jsonpath={.status.hard}" },
    });
    assert.deepStrictEqual(quota.inputs.spec.hard, {
      "requests.cpu": "1",
      "requests.memory": "1Gi",
      "limits.cpu": "2",
      "limits.memory": "2Gi",
      pods: "15",
      services: "10",
      persistentvolumeclaims: "0",
      "requests.storage": "0",
    });
  });

  it("gives every container default requests and limits and a ceiling, so the quota admits pods", async () => {
    const { resources, urn } = await construct(() => new Quota("feature-pr-7", ARGS));
    const limits = created(resources, "kubernetes:core/v1:LimitRange", "feature-pr-7-limits");
    assert.strictEqual(limits.parent, urn);
    assert.strictEqual(limits.inputs.metadata.name, "container-defaults");
    assert.strictEqual(limits.inputs.metadata.namespace, "feature-pr-7");
    assert.deepStrictEqual(limits.inputs.spec.limits, [
      { type: "Container", defaultRequest: { cpu: "50m", memory: "64Mi" }, default: { cpu: "200m", memory: "128Mi" }, max: { cpu: "2", memory: "2Gi" } },
    ]);
  });

  it("registers the names of the quota and the LimitRange", async () => {
    const { outputs } = await construct(() => new Quota("feature-pr-7", ARGS));
    assert.deepStrictEqual(outputs, { resourceQuotaName: "environment-quota", limitRangeName: "container-defaults" });
  });
});
