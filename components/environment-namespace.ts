import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { namespaceLabels, NamespaceKind } from "../policy/conventions";

/** Arguments of {@link EnvironmentNamespace}. */
export interface EnvironmentNamespaceArgs {
  /** Namespace name, which is the environment name (`staging`, `feature-pr-142`). */
  environment: string;
  /**
   * Environment kind, written to the `team-environments.dev/kind` label NetworkPolicies select on;
   * it also decides the Pod Security level (`POD_SECURITY_OF_KIND`).
   */
  kind: NamespaceKind;
  appName: string;
  /** Protect the namespace from deletion by Pulumi. Default: false. */
  protect?: boolean;
}

/** A namespace for one environment, labelled for selection and Pod Security Admission. */
export class EnvironmentNamespace extends pulumi.ComponentResource {
  /** The namespace object. */
  readonly namespace: k8s.core.v1.Namespace;
  /** Its name, known once the namespace exists: depend on it to order objects inside. */
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: EnvironmentNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:EnvironmentNamespace", name, {}, opts);
    this.namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: args.environment,
          // The pack's network evaluator assumes these very labels for namespaces not in view.
          labels: namespaceLabels(args.appName, args.environment, args.kind),
        },
      },
      { parent: this, protect: args.protect ?? false },
    );
    this.name = this.namespace.metadata.name;
    this.registerOutputs({ name: this.name });
  }
}
