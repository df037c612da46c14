import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AutoscalingSettings } from "../config/settings";
import { baseLabels } from "../policy/conventions";

/** Arguments of {@link Autoscaler}. */
export interface AutoscalerArgs {
  namespace: pulumi.Input<string>;
  environment: string;
  appName: string;
  /** The Deployment to scale; it must not set `spec.replicas` (the HPA owns it). */
  deployment: k8s.apps.v1.Deployment;
  bounds: AutoscalingSettings;
}

/** A HorizontalPodAutoscaler (autoscaling/v2) on CPU and memory utilisation. */
export class Autoscaler extends pulumi.ComponentResource {
  readonly hpa: k8s.autoscaling.v2.HorizontalPodAutoscaler;

  constructor(name: string, args: AutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:Autoscaler", name, {}, opts);
    if (args.bounds.maxReplicas < args.bounds.minReplicas) {
      throw new Error(`${name}: maxReplicas ${args.bounds.maxReplicas} is below minReplicas ${args.bounds.minReplicas}`);
    }
    const utilization = (resource: string, averageUtilization: number) => ({
      type: "Resource",
      resource: { name: resource, target: { type: "Utilization", averageUtilization } },
    });
    this.hpa = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      {
        metadata: {
          name: args.deployment.metadata.name,
          namespace: args.namespace,
          labels: baseLabels(args.appName, args.environment),
        },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: args.deployment.metadata.name },
          minReplicas: args.bounds.minReplicas,
          maxReplicas: args.bounds.maxReplicas,
          metrics: [
            utilization("cpu", args.bounds.cpuUtilization),
            utilization("memory", args.bounds.memoryUtilization),
          ],
        },
      },
      { parent: this },
    );
    this.registerOutputs({ hpaName: this.hpa.metadata.name });
  }
}
