import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RBAC_API_GROUP, Rule } from "../rbac/rules";
import { buildKubeconfig } from "../k8s/kubeconfig";
import { baseLabels } from "../policy/conventions";

/** Arguments of {@link ServiceAccountIdentity}. */
export interface ServiceAccountIdentityArgs {
  namespace: pulumi.Input<string>;
  /** Namespace name as a plain string (labels, kubeconfig context). */
  namespaceName: string;
  environment: string;
  appName: string;
  /** ServiceAccount name. */
  serviceAccount: string;
  /** Namespaced Role rules; omit when the identity is bound cluster-wide elsewhere. */
  rules?: Rule[];
  /** API server URL written into the kubeconfig. */
  server: string;
}

/**
 * A CI identity: ServiceAccount, optionally a Role and RoleBinding in its namespace, a long-lived
 * token Secret the token controller fills, and a kubeconfig built from it (secret end to end).
 */
export class ServiceAccountIdentity extends pulumi.ComponentResource {
  readonly serviceAccount: k8s.core.v1.ServiceAccount;
  readonly role?: k8s.rbac.v1.Role;
  readonly roleBinding?: k8s.rbac.v1.RoleBinding;
  readonly tokenSecret: k8s.core.v1.Secret;
  /** The kubeconfig, a secret Output. */
  readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: ServiceAccountIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:ServiceAccountIdentity", name, {}, opts);
    const labels = baseLabels(args.appName, args.environment);
    const metadata = { name: args.serviceAccount, namespace: args.namespace, labels };
    this.serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata, automountServiceAccountToken: false }, { parent: this });
    if (args.rules) {
      this.role = new k8s.rbac.v1.Role(`${name}-role`, { metadata, rules: args.rules }, { parent: this });
      this.roleBinding = new k8s.rbac.v1.RoleBinding(
        `${name}-binding`,
        {
          metadata,
          roleRef: { apiGroup: RBAC_API_GROUP, kind: "Role", name: this.role.metadata.name },
          subjects: [{ kind: "ServiceAccount", name: this.serviceAccount.metadata.name, namespace: args.namespace }],
        },
        { parent: this },
      );
    }
    this.tokenSecret = new k8s.core.v1.Secret(
      `${name}-token`,
      {
        metadata: {
          name: `${args.serviceAccount}-token`,
          namespace: args.namespace,
          labels,
          annotations: { "kubernetes.io/service-account.name": this.serviceAccount.metadata.name },
        },
        type: "kubernetes.io/service-account-token",
      },
      { parent: this, additionalSecretOutputs: ["data"] },
    );
    const data = this.tokenSecret.data;
    this.kubeconfig = pulumi.secret(
      data.apply((d) => {
        const decode = (v: string | undefined) => (v ? Buffer.from(v, "base64").toString("utf8") : "");
        return buildKubeconfig({
          name: `${args.namespaceName}-${args.serviceAccount}`,
          server: args.server,
          caData: d?.["ca.crt"] ?? "",
          token: decode(d?.token),
          namespace: args.namespaceName,
        });
      }),
    );
    this.registerOutputs({ kubeconfig: this.kubeconfig });
  }
}
