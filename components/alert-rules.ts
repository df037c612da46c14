import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { baseLabels } from "../policy/conventions";
import { AlertPolicy, alertRuleGroups } from "../monitoring/alerts";

/** Arguments of {@link AlertRules}. */
export interface AlertRulesArgs {
  namespace: pulumi.Input<string>;
  environment: string;
  appName: string;
  /** Severity and error-rate threshold of the environment's kind. */
  policy: AlertPolicy;
  /** Deployments to watch. */
  services: string[];
}

/**
 * A PrometheusRule with the app's alerts (monitoring/alerts.ts), in the environment's own
 * namespace; the cluster stack's Alertmanager configuration routes them by `environment` and
 * `severity` (monitoring/routing.ts).
 */
export class AlertRules extends pulumi.ComponentResource {
  readonly rule: k8s.apiextensions.CustomResource;

  constructor(name: string, args: AlertRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:AlertRules", name, {}, opts);
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
        spec: { groups: alertRuleGroups(args) },
      },
      { parent: this },
    );
    this.registerOutputs({ ruleName: this.rule.metadata.name });
  }
}
