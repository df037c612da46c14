import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { QuotaProfile } from "../base/profiles";
import { baseLabels } from "../policy/conventions";
import { QUOTA_STATUS_WAIT } from "../k8s/await";

/** Arguments of {@link Quota}. */
export interface QuotaArgs {
  namespace: pulumi.Input<string>;
  environment: string;
  appName: string;
  /** Hard limits of the namespace. */
  quota: QuotaProfile;
}

/**
 * ResourceQuota plus the LimitRange that makes it usable: a quota on requests/limits rejects
 * pods without them, so the LimitRange gives every container defaults and a ceiling.
 */
export class Quota extends pulumi.ComponentResource {
  readonly resourceQuota: k8s.core.v1.ResourceQuota;
  readonly limitRange: k8s.core.v1.LimitRange;

  constructor(name: string, args: QuotaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:Quota", name, {}, opts);
    const q = args.quota;
    const metadata = (role: string) => ({
      name: role,
      namespace: args.namespace,
      labels: baseLabels(args.appName, args.environment),
    });
    this.resourceQuota = new k8s.core.v1.ResourceQuota(
      `${name}-quota`,
      {
        metadata: { ...metadata("environment-quota"), annotations: { ...QUOTA_STATUS_WAIT } },
        spec: {
          hard: {
            "requests.cpu": q.requestsCpu,
            "requests.memory": q.requestsMemory,
            "limits.cpu": q.limitsCpu,
            "limits.memory": q.limitsMemory,
            pods: String(q.pods),
            services: String(q.services),
            persistentvolumeclaims: String(q.persistentVolumeClaims),
            "requests.storage": q.requestsStorage,
          },
        },
      },
      { parent: this },
    );
    this.limitRange = new k8s.core.v1.LimitRange(
      `${name}-limits`,
      {
        metadata: metadata("container-defaults"),
        spec: {
          limits: [
            {
              type: "Container",
              defaultRequest: { cpu: "50m", memory: "64Mi" },
              default: { cpu: "200m", memory: "128Mi" },
              max: { cpu: "2", memory: "2Gi" },
            },
          ],
        },
      },
      { parent: this },
    );
    this.registerOutputs({ resourceQuotaName: this.resourceQuota.metadata.name, limitRangeName: this.limitRange.metadata.name });
  }
}
