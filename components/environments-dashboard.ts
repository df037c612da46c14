import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { baseLabels, MONITORING_NAMESPACE } from "../policy/conventions";
import { DashboardFor, GRAFANA_DASHBOARD_LABEL, environmentsDashboard } from "../monitoring/dashboard";

/** Arguments of {@link EnvironmentsDashboard}. */
export interface EnvironmentsDashboardArgs extends DashboardFor {
  namespace: pulumi.Input<string>;
}

/**
 * The one Grafana dashboard for every environment (monitoring/dashboard.ts), as a ConfigMap in
 * `monitoring` labelled for kube-prometheus-stack's Grafana sidecar, which loads it.
 */
export class EnvironmentsDashboard extends pulumi.ComponentResource {
  readonly configMap: k8s.core.v1.ConfigMap;

  constructor(name: string, args: EnvironmentsDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:EnvironmentsDashboard", name, {}, opts);
    const file = `${args.appName}-environments.json`;
    this.configMap = new k8s.core.v1.ConfigMap(
      `${name}-dashboard`,
      {
        metadata: {
          name: `${args.appName}-environments-dashboard`,
          namespace: args.namespace,
          labels: { ...baseLabels(args.appName, MONITORING_NAMESPACE), ...GRAFANA_DASHBOARD_LABEL },
        },
        data: { [file]: JSON.stringify(environmentsDashboard(args), null, 2) },
      },
      { parent: this },
    );
    this.registerOutputs({ configMapName: this.configMap.metadata.name, file });
  }
}
