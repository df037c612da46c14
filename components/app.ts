import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AppSettings, ServiceSettings } from "../config/settings";
import { baseLabels } from "../policy/conventions";
import { AppService } from "./app-service";
import { ALREADY_ADMITTED, Admission } from "./guardrails";
import { Autoscaler } from "./autoscaler";
import { DisruptionBudget } from "./disruption-budget";

/** Arguments of {@link App}. */
export interface AppArgs {
  namespace: pulumi.Input<string>;
  settings: AppSettings;
  /** Database connection the services use. */
  database: { host: pulumi.Input<string>; port: number; credentialsSecret: pulumi.Input<string> };
  /** What the services that use the database wait for ({@link Postgres.clientDependencies}). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** What its objects wait for in a preview (Guardrails.admission). Default: nothing. */
  admission?: Admission;
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
    const admission = args.admission ?? ALREADY_ADMITTED;
    let middleware: pulumi.Output<string> | undefined;
    if (a.ingress.basicAuthUser !== undefined) {
      const auth = this.createBasicAuth(name, args, a.ingress.basicAuthUser, admission.secrets);
      middleware = auth.middleware;
      this.basicAuthPassword = auth.password;
    }
    for (const service of a.services) this.addService(name, args, service, middleware);
    // A preview deploys only what changed on its branch; the rest resolves to qa's services.
    for (const borrowed of a.borrowed) {
      this.borrowed[borrowed] = new k8s.core.v1.Service(
        `${name}-${borrowed}-from-qa`,
        {
          metadata: {
            name: borrowed,
            namespace: args.namespace,
            labels: { ...baseLabels(a.appName, a.environment), "team-environments.dev/borrowed-from": "qa" },
          },
          spec: { type: "ExternalName", externalName: `${borrowed}.qa.svc.cluster.local` },
        },
        { parent: this, dependsOn: admission.workloads },
      );
    }
    this.registerOutputs({
      services: Object.keys(this.services),
      urls: this.urls,
      borrowed: Object.keys(this.borrowed),
      basicAuthPassword: this.basicAuthPassword,
    });
  }

  /** A generated password (bcrypt in a Secret) and the Traefik Middleware that asks for it. */
  private createBasicAuth(name: string, args: AppArgs, user: string, dependsOn: pulumi.Resource[]): { middleware: pulumi.Output<string>; password: pulumi.Output<string> } {
    const labels = baseLabels(args.settings.appName, args.settings.environment);
    const password = new random.RandomPassword(`${name}-basic-auth-password`, { length: 24, special: false }, { parent: this });
    const secret = new k8s.core.v1.Secret(
      `${name}-basic-auth`,
      {
        metadata: { name: "basic-auth", namespace: args.namespace, labels },
        type: "Opaque",
        stringData: { users: pulumi.interpolate`${user}:${password.bcryptHash}` },
      },
      { parent: this, dependsOn },
    );
    const middleware = new k8s.apiextensions.CustomResource(
      `${name}-basic-auth-middleware`,
      {
        apiVersion: "traefik.io/v1alpha1",
        kind: "Middleware",
        metadata: { name: "basic-auth", namespace: args.namespace, labels },
        spec: { basicAuth: { secret: secret.metadata.name } },
      },
      { parent: this },
    );
    return { middleware: middleware.metadata.name, password: pulumi.secret(password.result) };
  }

  /** One service, with its HPA and PDB when the environment has them. */
  private addService(name: string, args: AppArgs, service: ServiceSettings, middleware: pulumi.Output<string> | undefined): void {
    const a = args.settings;
    const common = { namespace: args.namespace, environment: a.environment, appName: a.appName };
    const svc = new AppService(
      `${name}-${service.name}`,
      {
        ...common,
        service,
        rollout: a.rollout,
        ingress: a.ingress,
        basicAuthMiddleware: middleware,
        database: args.database,
        optionalSecrets: a.optionalSecrets,
        environmentConfig: {
          APP_ENV: a.kind,
          ENVIRONMENT_NAME: a.environment,
          LOG_LEVEL: a.logLevel,
          PUBLIC_URL: service.host ? `https://${service.host}` : "",
        },
        migrationRetries: a.migrationRetries,
        // Only services that use the database wait for it; the others roll out in parallel.
        dependsOn: service.usesDatabase ? args.dependsOn : undefined,
        admission: args.admission,
      },
      { parent: this },
    );
    this.services[service.name] = svc;
    if (service.autoscaling) {
      this.autoscalers[service.name] = new Autoscaler(
        `${name}-${service.name}`,
        { ...common, deployment: svc.deployment, bounds: service.autoscaling },
        { parent: this },
      );
    }
    if (service.pdbMinAvailable !== undefined) {
      this.disruptionBudgets[service.name] = new DisruptionBudget(
        `${name}-${service.name}`,
        {
          ...common,
          selector: svc.selector,
          workload: service.name,
          minAvailable: service.pdbMinAvailable,
          minReplicas: service.autoscaling?.minReplicas ?? service.replicas ?? 1,
        },
        { parent: this },
      );
    }
  }

  /** `https://host` per service with an ingress. */
  get urls(): Record<string, string> {
    const urls: Record<string, string> = {};
    for (const [name, svc] of Object.entries(this.services)) if (svc.url) urls[name] = svc.url;
    return urls;
  }
}
