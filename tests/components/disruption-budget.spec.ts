import * as assert from "assert";
import { DisruptionBudget, DisruptionBudgetArgs } from "../../components/disruption-budget";
import { baseLabels, selectorLabels } from "../../policy/conventions";
import { construct, created } from "../support/component";

const ARGS: DisruptionBudgetArgs = {
  namespace: "production",
  environment: "production",
  appName: "myapp",
  selector: selectorLabels("core-api", "production"),
  workload: "core-api",
  minAvailable: 2,
  minReplicas: 3,
};
const budget = (args: Partial<DisruptionBudgetArgs> = {}) => () => new DisruptionBudget("production-core-api", { ...ARGS, ...args });

describe("DisruptionBudget", () => {
  it("keeps minAvailable pods of the workload, selected by its stable selector", async () => {
    const { resources, urn } = await construct(budget());
    const pdb = created(resources, "kubernetes:policy/v1:PodDisruptionBudget", "production-core-api-pdb");
    assert.strictEqual(pdb.parent, urn);
    assert.deepStrictEqual(pdb.inputs.metadata, { name: "core-api", namespace: "production", labels: baseLabels("myapp", "production") });
    assert.deepStrictEqual(pdb.inputs.spec, {
      minAvailable: 2,
      selector: { matchLabels: { "app.kubernetes.io/name": "core-api", "app.kubernetes.io/instance": "core-api-production" } },
    });
  });

  it("registers the PDB's name as its output", async () => {
    const { outputs } = await construct(budget());
    assert.deepStrictEqual(outputs, { pdbName: "core-api" });
  });

  it("fails when minAvailable equals the workload's minimum replicas (no eviction could ever happen)", async () => {
    await assert.rejects(construct(budget({ minAvailable: 3, minReplicas: 3 })), {
      message: "production-core-api: PDB minAvailable 3 must be below the workload's minimum replicas 3",
    });
  });

  it("fails when minAvailable exceeds the workload's minimum replicas", async () => {
    await assert.rejects(construct(budget({ minAvailable: 2, minReplicas: 1 })), {
      message: "production-core-api: PDB minAvailable 2 must be below the workload's minimum replicas 1",
    });
  });
});
