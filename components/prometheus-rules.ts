import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { baseLabels } from "../labels";

/** Arguments of {@link AlertRules}. */
export interface AlertRulesArgs {
  namespace: pulumi.Input<string>;
  environment: string;
  appName: string;
  /** `critical` pages (production); `warning` does not (staging). */
  severity: "critical" | "warning";
  /** Deployments to watch. */
  services: string[];
}

/** Alert names, identical in every environment that has alerts (staging/production parity). */
export const ALERT_NAMES = ["HighErrorRate", "PodCrashLooping", "DeploymentReplicasUnavailable", "MigrationJobFailed"] as const;

/**
 * A PrometheusRule with the app's alerts; every expression is scoped to the environment's
 * namespace so one environment's trouble never fires another's alert.
 */
export class AlertRules extends pulumi.ComponentResource {
  readonly rule: k8s.apiextensions.CustomResource;

  constructor(name: string, args: AlertRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:AlertRules", name, {}, opts);
    const ns = `namespace="${args.environment}"`;
    const deployments = args.services.join("|");
    const labels = { severity: args.severity, environment: args.environment };
    const expressions: Record<(typeof ALERT_NAMES)[number], { expr: string; for: string; summary: string }> = {
      HighErrorRate: {
        expr: `sum(rate(http_requests_total{${ns}, status=~"5.."}[5m])) / sum(rate(http_requests_total{${ns}}[5m])) > 0.05`,
        for: "2m",
        summary: `More than 5% of requests in ${args.environment} fail`,
      },
      PodCrashLooping: {
        expr: `increase(kube_pod_container_status_restarts_total{${ns}}[15m]) > 3`,
        for: "5m",
        summary: `A pod in ${args.environment} keeps restarting`,
      },
      DeploymentReplicasUnavailable: {
        expr: `kube_deployment_status_replicas_unavailable{${ns}, deployment=~"${deployments}"} > 0`,
        for: "10m",
        summary: `A deployment in ${args.environment} has unavailable replicas`,
      },
      MigrationJobFailed: {
        expr: `kube_job_status_failed{${ns}, job_name=~".*-migrate-.*"} > 0`,
        for: "1m",
        summary: `A database migration in ${args.environment} failed`,
      },
    };
    this.rule = new k8s.apiextensions.CustomResource(
      `${name}-rule`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: {
          name: `${args.appName}-alerts`,
          namespace: args.namespace,
          labels: { ...baseLabels(args.appName, args.environment), role: "alert-rules" },
        },
        spec: {
          groups: [
            {
              name: `${args.appName}.${args.environment}`,
              rules: ALERT_NAMES.map((alert) => ({
                alert,
                expr: expressions[alert].expr,
                for: expressions[alert].for,
                labels,
                annotations: { summary: expressions[alert].summary },
              })),
            },
          ],
        },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
