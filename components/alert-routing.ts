import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { baseLabels, MONITORING_NAMESPACE } from "../policy/conventions";
import { AlertRoutingFor, alertmanagerConfig, routingSummary } from "../monitoring/routing";

/** Arguments of {@link AlertRouting}. */
export interface AlertRoutingArgs extends AlertRoutingFor {
  namespace: pulumi.Input<string>;
  appName: string;
}

/**
 * The Alertmanager configuration (monitoring/routing.ts) as a Secret in `monitoring`, under the
 * key `alertmanager.yaml`: point the Alertmanager at it (`spec.configSecret`; kube-prometheus-stack:
 * `alertmanager.alertmanagerSpec.configSecret`). The receivers' keys and URLs come from secret
 * stack config and stay secret in the state.
 */
export class AlertRouting extends pulumi.ComponentResource {
  readonly secret: k8s.core.v1.Secret;
  /** One line per route, without secrets. */
  readonly routes: string[];

  constructor(name: string, args: AlertRoutingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:AlertRouting", name, {}, opts);
    this.routes = routingSummary(args);
    this.secret = new k8s.core.v1.Secret(
      `${name}-config`,
      {
        metadata: {
          name: `${args.appName}-alertmanager`,
          namespace: args.namespace,
          labels: { ...baseLabels(args.appName, MONITORING_NAMESPACE), role: "alert-routing" },
        },
        type: "Opaque",
        // JSON is YAML: Alertmanager reads this document as its alertmanager.yaml.
        stringData: { "alertmanager.yaml": pulumi.secret(JSON.stringify(alertmanagerConfig(args), null, 2)) },
      },
      { parent: this },
    );
    this.registerOutputs({ secretName: this.secret.metadata.name, routes: this.routes });
  }
}
