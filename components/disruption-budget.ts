import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { baseLabels } from "../policy/conventions";

/** Arguments of {@link DisruptionBudget}. */
export interface DisruptionBudgetArgs {
  namespace: pulumi.Input<string>;
  environment: string;
  appName: string;
  /** The workload's pod selector labels. */
  selector: Record<string, string>;
  /** Name of the PDB (the workload's name). */
  workload: string;
  minAvailable: number;
  /** The fewest replicas the workload runs (fixed replicas or HPA minReplicas). */
  minReplicas: number;
}

/**
 * A PodDisruptionBudget. It refuses a budget that would block every eviction
 * (minAvailable ≥ the fewest replicas), which would stall node drains forever.
 */
export class DisruptionBudget extends pulumi.ComponentResource {
  readonly pdb: k8s.policy.v1.PodDisruptionBudget;

  constructor(name: string, args: DisruptionBudgetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:DisruptionBudget", name, {}, opts);
    if (args.minAvailable >= args.minReplicas) {
      throw new Error(
        `${name}: PDB minAvailable ${args.minAvailable} must be below the workload's minimum replicas ${args.minReplicas}`,
      );
    }
    this.pdb = new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: { name: args.workload, namespace: args.namespace, labels: baseLabels(args.appName, args.environment) },
        spec: { minAvailable: args.minAvailable, selector: { matchLabels: args.selector } },
      },
      { parent: this },
    );
    this.registerOutputs({ pdbName: this.pdb.metadata.name });
  }
}
