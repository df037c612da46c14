import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AppSettings } from "../config/settings";
import { baseLabels } from "../policy/conventions";
import { AppService } from "./app-service";
import { Autoscaler } from "./autoscaler";
import { DisruptionBudget } from "./disruption-budget";

/** Arguments of {@link App}. */
export interface AppArgs {
  namespace: pulumi.Input<string>;
  settings: AppSettings;
  /** Database connection the services use. */
  database: { host: pulumi.Input<string>; port: number; credentialsSecret: pulumi.Input<string> };
  /** Resources the services must wait for (the database). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The application in one environment: every deployed service (see {@link AppService}) with its
 * HPA and PDB, basic auth in front of the hosts where the environment asks for it, and — in a
 * preview — ExternalName Services that send the services it does not deploy to qa.
 */
export class App extends pulumi.ComponentResource {
  /** The deployed services by name. */
  readonly services: Record<string, AppService> = {};
  /** Services a preview borrows from qa, by name. */
  readonly borrowed: Record<string, k8s.core.v1.Service> = {};
  readonly autoscalers: Record<string, Autoscaler> = {};
  readonly disruptionBudgets: Record<string, DisruptionBudget> = {};
  /** Basic-auth password (secret), when the environment has basic auth. */
  readonly basicAuthPassword?: pulumi.Output<string>;

  constructor(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:App", name, {}, opts);
    const a = args.settings;
    const labels = baseLabels(a.appName, a.environment);

    let middleware: pulumi.Output<string> | undefined;
    if (a.ingress.basicAuthUser !== undefined) {
      const password = new random.RandomPassword(`${name}-basic-auth-password`, { length: 24, special: false }, { parent: this });
      const secret = new k8s.core.v1.Secret(
        `${name}-basic-auth`,
        {
          metadata: { name: "basic-auth", namespace: args.namespace, labels },
          type: "Opaque",
          stringData: { users: pulumi.interpolate`${a.ingress.basicAuthUser}:${password.bcryptHash}` },
        },
        { parent: this },
      );
      const mw = new k8s.apiextensions.CustomResource(
        `${name}-basic-auth-middleware`,
        {
          apiVersion: "traefik.io/v1alpha1",
          kind: "Middleware",
          metadata: { name: "basic-auth", namespace: args.namespace, labels },
          spec: { basicAuth: { secret: secret.metadata.name } },
        },
        { parent: this },
      );
      middleware = mw.metadata.name;
      this.basicAuthPassword = pulumi.secret(password.result);
    }

    const environmentConfig = (host: string | undefined) => ({
      APP_ENV: a.kind,
      ENVIRONMENT_NAME: a.environment,
      LOG_LEVEL: a.logLevel,
      PUBLIC_URL: host ? `https://${host}` : "",
    });

    for (const service of a.services) {
      const svc = new AppService(
        `${name}-${service.name}`,
        {
          namespace: args.namespace,
          environment: a.environment,
          appName: a.appName,
          service,
          rollout: a.rollout,
          ingress: a.ingress,
          basicAuthMiddleware: middleware,
          database: args.database,
          optionalSecrets: a.optionalSecrets,
          environmentConfig: environmentConfig(service.host),
          migrationRetries: a.migrationRetries,
          // Only services that use the database wait for it; the others roll out in parallel.
          dependsOn: service.usesDatabase ? args.dependsOn : undefined,
        },
        { parent: this },
      );
      this.services[service.name] = svc;
      const minReplicas = service.autoscaling?.minReplicas ?? service.replicas ?? 1;
      if (service.autoscaling) {
        this.autoscalers[service.name] = new Autoscaler(
          `${name}-${service.name}`,
          { namespace: args.namespace, environment: a.environment, appName: a.appName, deployment: svc.deployment, bounds: service.autoscaling },
          { parent: this },
        );
      }
      if (service.pdbMinAvailable !== undefined) {
        this.disruptionBudgets[service.name] = new DisruptionBudget(
          `${name}-${service.name}`,
          {
            namespace: args.namespace,
            environment: a.environment,
            appName: a.appName,
            selector: svc.selector,
            workload: service.name,
            minAvailable: service.pdbMinAvailable,
            minReplicas,
          },
          { parent: this },
        );
      }
    }

    // A preview deploys only what changed on its branch; the rest resolves to qa's services.
    for (const borrowed of a.borrowed) {
      this.borrowed[borrowed] = new k8s.core.v1.Service(
        `${name}-${borrowed}-from-qa`,
        {
          metadata: {
            name: borrowed,
            namespace: args.namespace,
            labels: { ...labels, "team-environments.dev/borrowed-from": "qa" },
          },
          spec: { type: "ExternalName", externalName: `${borrowed}.qa.svc.cluster.local` },
        },
        { parent: this },
      );
    }
    this.registerOutputs({
      services: Object.keys(this.services),
      urls: Object.fromEntries(Object.entries(this.services).flatMap(([n, s]) => (s.url ? [[n, s.url]] : []))),
      borrowed: Object.keys(this.borrowed),
      basicAuthPassword: this.basicAuthPassword,
    });
  }

  /** `https://host` per service with an ingress. */
  get urls(): Record<string, string> {
    const urls: Record<string, string> = {};
    for (const [name, svc] of Object.entries(this.services)) if (svc.url) urls[name] = svc.url;
    return urls;
  }
}
