/**
 * Pulumi mocks that record every registered resource with its inputs *and* its options
 * (parent, protect, dependsOn, deleteBeforeReplace, deletedWith), and throw on any unmocked provider call.
 */
import * as pulumi from "@pulumi/pulumi";

/** The secret signature Pulumi uses in serialized property values. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** One registered resource. */
export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  /** Inputs with secrets unwrapped. */
  inputs: Record<string, any>;
  /** Inputs as serialized on the wire: secrets keep their signature. */
  wireInputs: Record<string, any>;
  parent?: string;
  protect: boolean;
  dependencies: string[];
  deleteBeforeReplace: boolean;
  /** URN of the resource whose deletion deletes this one, as set on it (the engine also passes it to children). */
  deletedWith?: string;
}

/** True when a serialized value is a secret. */
export function isWireSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Fake state the engine would return for some resource types. */
function outputsFor(args: pulumi.runtime.MockResourceArgs): Record<string, any> {
  const state: Record<string, any> = { ...args.inputs };
  if (args.type.startsWith("kubernetes:") && args.type !== "pulumi:providers:kubernetes") {
    state.metadata = { ...(args.inputs.metadata ?? {}) };
    state.metadata.name ??= `${args.name}-generated`;
    if (args.inputs.type === "kubernetes:core/v1:Secret" || args.inputs.type === "kubernetes.io/service-account-token") {
      state.data = {
        token: Buffer.from(`token-of-${args.name}`).toString("base64"),
        "ca.crt": Buffer.from("fake-ca").toString("base64"),
      };
    }
  }
  if (args.type === "random:index/randomPassword:RandomPassword") {
    state.result = `password-of-${args.name}`;
    state.bcryptHash = `$2a$10$hash-of-${args.name}`;
  }
  return state;
}

/** Installs recording mocks for a stack; returns the list that fills as resources register. */
export async function installMocks(project: string, stack: string): Promise<RecordedResource[]> {
  const recorded: RecordedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: outputsFor(args) }),
      call: (args) => {
        if (args.token === "github:index/getTeam:getTeam") return { id: "4242", slug: args.inputs.slug };
        if (args.token === "github:index/getUser:getUser") return { id: "1717", login: args.inputs.username };
        throw new Error(`unmocked call ${args.token}`);
      },
    },
    project,
    stack,
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: any, res: any) => void) => {
    const wire = req.getObject()?.toJavaScript() ?? {};
    register(req, (err: any, res: any) => {
      if (!err) {
        recorded.push({
          urn: res.getUrn(),
          type: req.getType(),
          name: req.getName(),
          custom: req.getCustom(),
          inputs: unwrapSecrets(wire),
          wireInputs: wire,
          parent: req.getParent() || undefined,
          protect: req.getProtect() === true,
          dependencies: req.getDependenciesList(),
          deleteBeforeReplace: req.getDeletebeforereplace(),
          deletedWith: req.getDeletedwith() || undefined,
        });
      }
      callback(err, res);
    });
  };
  return recorded;
}

/** A serialized value with every secret replaced by its plain value. */
export function unwrapSecrets(value: any): any {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") {
    if (isWireSecret(value)) return unwrapSecrets(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** Resolves an Output (or plain value) to its value. */
export function promiseOf<T>(value: pulumi.Input<T> | undefined): Promise<T> {
  return new Promise((resolve) => pulumi.output(value as pulumi.Input<T>).apply((v) => resolve(v as T)));
}
