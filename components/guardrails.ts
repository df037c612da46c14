import * as pulumi from "@pulumi/pulumi";
import { AccessSettings, GuardrailSettings } from "../config/settings";
import { EnvironmentAccess } from "./environment-access";
import { EnvironmentNamespace } from "./environment-namespace";
import { NetworkIsolation } from "./network-isolation";
import { Quota } from "./quota";

/**
 * What an object in an environment's namespace waits for, by kind, before the API server admits
 * it. Everything else (ConfigMaps, ingress routes, HPAs, PDBs) waits only for the namespace,
 * through its name.
 */
export interface Admission {
  /**
   * Objects that make pods (Deployments, StatefulSets, Jobs) and Services: the ResourceQuota
   * counts both, but the API server checks an object against it only once the quota controller
   * has written the quota's status (k8s/await.ts); pods also take the LimitRange's defaults.
   */
  workloads: pulumi.Resource[];
  /** Secrets: the preview deployer may write them only once its RoleBinding exists. */
  secrets: pulumi.Resource[];
}

/** A long-lived environment's guardrails are the cluster stack's: its objects wait for none. */
export const ALREADY_ADMITTED: Admission = { workloads: [], secrets: [] };

/** Arguments of {@link Guardrails}. */
export interface GuardrailsArgs {
  appName: string;
  settings: GuardrailSettings;
  access: AccessSettings;
  /** API server URL for the CI deployer's kubeconfig; required unless `settings.previewAccess` (previews have none). */
  server?: string;
  /** GitHub repository whose OIDC users deploy the long-lived environments (cluster stack). */
  ciOidcRepository?: string;
  /**
   * Everything else lives in the namespace: on destroy, delete the namespace and let Kubernetes
   * delete its contents, as `kubectl delete namespace` does, instead of one call per object
   * (a preview, whose stack owns all of it). Default: false.
   */
  deleteWithNamespace?: boolean;
}

/**
 * Everything that bounds an environment, owned apart from its app: the namespace, quota and
 * LimitRange, network isolation, and RBAC. The cluster stack owns these for qa, staging and
 * production (their app stacks run with a deployer that cannot change them); a preview owns its own.
 */
export class Guardrails extends pulumi.ComponentResource {
  readonly namespace: EnvironmentNamespace;
  readonly quota: Quota;
  readonly network: NetworkIsolation;
  readonly access: EnvironmentAccess;
  /** The namespace, when everything else in it is deleted with it (`deleteWithNamespace`). */
  readonly deletedWith?: pulumi.Resource;
  /**
   * What the objects the same stack puts in the namespace wait for. On each object, not on the
   * components around them: a component's `dependsOn` holds back every child, and a ConfigMap or
   * a password held back behind the quota's status starts the migrations late.
   */
  readonly admission: Admission;

  constructor(name: string, args: GuardrailsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:Guardrails", name, {}, opts);
    const g = args.settings;
    this.namespace = new EnvironmentNamespace(
      `${name}`,
      { environment: g.environment, kind: g.kind, appName: args.appName, protect: g.protect },
      { parent: this },
    );
    const ns = this.namespace.name;
    this.deletedWith = args.deleteWithNamespace ? this.namespace.namespace : undefined;
    // Inherited by every child (the engine passes deletedWith down from a parent).
    const inside = { parent: this, deletedWith: this.deletedWith };
    this.quota = new Quota(name, { namespace: ns, environment: g.environment, appName: args.appName, quota: g.quota }, inside);
    this.network = new NetworkIsolation(name, { namespace: ns, appName: args.appName, guardrails: g }, inside);
    this.access = new EnvironmentAccess(
      name,
      {
        namespace: ns,
        environment: g.environment,
        previewAccess: g.previewAccess,
        qaAdmin: g.qaAdmin,
        appName: args.appName,
        access: args.access,
        server: args.server,
        ciOidcRepository: args.ciOidcRepository,
      },
      inside,
    );
    const secretsBinding = this.access.deployerSecretsBinding;
    this.admission = {
      workloads: [this.namespace.namespace, this.quota.resourceQuota, this.quota.limitRange],
      secrets: [this.namespace.namespace, ...(secretsBinding ? [secretsBinding] : [])],
    };
    this.registerOutputs({ namespace: ns });
  }
}
