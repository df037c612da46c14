import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { JOB_RESOURCES } from "../base/catalogue";
import { DataRefreshSettings } from "../config/settings";
import { DATA_REFRESH_SECRET, DATA_REFRESH_WORKLOAD, workloadLabels } from "../policy/conventions";
import { containerSecurityContext, podSecurityContext, resourceBlock } from "../k8s/workload";

/** Arguments of {@link DataRefresh}. */
export interface DataRefreshArgs {
  namespace: pulumi.Input<string>;
  environment: string;
  appName: string;
  settings: DataRefreshSettings;
  /** The staging database credentials Secret (the refresh's target). */
  credentialsSecret: pulumi.Input<string>;
  databaseHost: pulumi.Input<string>;
}

/**
 * Staging's scheduled refresh from the latest production backup. `--anonymize-pii` is not a
 * setting: the component always passes it, and config cannot turn it off.
 */
export class DataRefresh extends pulumi.ComponentResource {
  readonly cronJob: k8s.batch.v1.CronJob;

  constructor(name: string, args: DataRefreshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:DataRefresh", name, {}, opts);
    if (args.settings.anonymize !== true) {
      throw new Error(`${name}: settings.anonymize is ${JSON.stringify(args.settings.anonymize)}: the data refresh must anonymise PII`);
    }
    const labels = workloadLabels({ appName: args.appName, environment: args.environment, name: DATA_REFRESH_WORKLOAD, component: "data-refresh" });
    this.cronJob = new k8s.batch.v1.CronJob(
      `${name}-cronjob`,
      {
        metadata: { name: DATA_REFRESH_WORKLOAD, namespace: args.namespace, labels },
        spec: {
          schedule: args.settings.schedule,
          concurrencyPolicy: "Forbid",
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            metadata: { labels },
            spec: {
              backoffLimit: 1,
              template: {
                metadata: { labels },
                spec: {
                  restartPolicy: "Never",
                  automountServiceAccountToken: false,
                  securityContext: podSecurityContext(),
                  containers: [
                    {
                      name: "refresh",
                      image: args.settings.image,
                      command: ["/app/tools", "refresh-staging-data"],
                      args: [`--source=${args.settings.source}`, `--target=${args.environment}`, "--anonymize-pii"],
                      env: [
                        { name: "TARGET_DATABASE_HOST", value: args.databaseHost },
                        { name: "TARGET_DATABASE_PASSWORD", valueFrom: { secretKeyRef: { name: args.credentialsSecret, key: "password" } } },
                      ],
                      envFrom: [{ secretRef: { name: DATA_REFRESH_SECRET, optional: false } }],
                      resources: resourceBlock(JOB_RESOURCES),
                      securityContext: containerSecurityContext(true),
                    },
                  ],
                },
              },
            },
          },
        },
      },
      { parent: this },
    );
    this.registerOutputs({ cronJobName: this.cronJob.metadata.name });
  }
}
