import * as pulumi from "@pulumi/pulumi";
import { AppSettings } from "../config/settings";
import { App } from "./app";
import { DataRefresh } from "./data-refresh";
import { ALREADY_ADMITTED, Guardrails } from "./guardrails";
import { Postgres } from "./postgres";
import { AlertRules } from "./alert-rules";

/** Arguments of {@link Environment}. */
export interface EnvironmentArgs {
  settings: AppSettings;
}

/**
 * One application environment: a preview's own guardrails, the database, the app, its alerts
 * and staging's data refresh. Long-lived environments run inside the namespace the cluster
 * stack made for them.
 */
export class Environment extends pulumi.ComponentResource {
  readonly guardrails?: Guardrails;
  readonly database: Postgres;
  readonly app: App;
  readonly alerts?: AlertRules;
  readonly dataRefresh?: DataRefresh;
  readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:Environment", name, {}, opts);
    const s = args.settings;
    if (s.guardrails) {
      this.guardrails = new Guardrails(
        name,
        { appName: s.appName, settings: s.guardrails, access: s.access, deleteWithNamespace: true },
        { parent: this },
      );
      this.namespace = this.guardrails.namespace.name;
    } else {
      this.namespace = pulumi.output(s.namespace);
    }
    // A preview's objects wait for what admits them (its namespace, quota and LimitRange, the
    // deployer's Secrets binding: Guardrails.admission), each object for its own kind's; network
    // policies and the developers' RoleBinding go in alongside.
    const admission = this.guardrails?.admission ?? ALREADY_ADMITTED;
    // A stack that owns its namespace owns everything in it: destroying it deletes the namespace
    // and Kubernetes deletes the rest (the engine passes deletedWith down to every child).
    const child = { parent: this, deletedWith: this.guardrails?.deletedWith };
    this.database = new Postgres(
      `${name}-postgres`,
      { namespace: this.namespace, environment: s.environment, appName: s.appName, settings: s.database, protect: s.protect, admission },
      child,
    );
    this.app = new App(
      `${name}-app`,
      {
        namespace: this.namespace,
        settings: s,
        database: { host: this.database.host, port: this.database.port, credentialsSecret: this.database.credentials.metadata.name },
        dependsOn: this.database.clientDependencies,
        admission,
      },
      child,
    );
    if (s.alerts) {
      const alerts = { environment: s.environment, appName: s.appName, policy: s.alerts, services: s.services.map((x) => x.name) };
      this.alerts = new AlertRules(`${name}-alerts`, { namespace: this.namespace, ...alerts }, child);
    }
    if (s.dataRefresh) {
      const database = { credentialsSecret: this.database.credentials.metadata.name, databaseHost: this.database.host };
      this.dataRefresh = new DataRefresh(
        `${name}-data-refresh`,
        { namespace: this.namespace, environment: s.environment, appName: s.appName, settings: s.dataRefresh, ...database },
        child,
      );
    }
    this.registerOutputs({ namespace: this.namespace });
  }
}
