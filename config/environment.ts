/**
 * What the stack name says: the environment kind, whether the name can be a namespace, the
 * environment's hosts and the guardrails its kind implies.
 */
import { DATABASE_DEFAULTS, DATABASE_WORKLOAD, SERVICE_CATALOGUE } from "../base/catalogue";
import { KIND_PROFILES, QuotaProfile } from "../base/profiles";
import { AppKind, DATA_REFRESH_WORKLOAD, ENVIRONMENT_KINDS, EnvironmentKind, FEATURE_STACK } from "../policy/conventions";
import { DNS_LABEL } from "./keys";
import { CONFIG_NAMESPACE, Reader } from "./reader";
import { GuardrailSettings } from "./settings";

/** The longest workload name: `<name>-<environment>` is a label value (at most 63 characters). */
const LONGEST_WORKLOAD = [...SERVICE_CATALOGUE.map((s) => s.name), DATABASE_WORKLOAD, DATA_REFRESH_WORKLOAD].reduce((a, b) =>
  b.length > a.length ? b : a,
);
/** The longest name an app stack (= its namespace) may have. */
export const MAX_ENVIRONMENT_NAME = 63 - 1 - LONGEST_WORKLOAD.length;

/** The environment kind a stack name implies, if any. */
export function kindOfStack(stack: string): EnvironmentKind | undefined {
  if (FEATURE_STACK.test(stack)) return "feature";
  return (ENVIRONMENT_KINDS as readonly string[]).includes(stack) && stack !== "feature"
    ? (stack as EnvironmentKind)
    : undefined;
}

/**
 * The stack's kind: from `environmentKind` or from its name, which must agree; and, for an app
 * stack, whether its name can be its namespace. Undefined (with the problem recorded) when it
 * cannot be told.
 */
export function readKind(r: Reader, stack: string): EnvironmentKind | undefined {
  const derived = kindOfStack(stack);
  const explicit = r.string("environmentKind", new RegExp(`^(${ENVIRONMENT_KINDS.join("|")})$`), `one of ${ENVIRONMENT_KINDS.join(", ")}`);
  if (explicit !== undefined && derived !== undefined && explicit !== derived) {
    r.fail("environmentKind", explicit, `must agree with the stack name "${stack}", which implies ${derived}`);
  }
  const kind = (explicit ?? derived) as EnvironmentKind | undefined;
  if (kind === undefined && !r.has("environmentKind")) {
    r.problem(
      `stack "${stack}": cannot tell its environment kind; name the stack qa, staging, production, cluster or feature-pr-<N>, or set ${CONFIG_NAMESPACE}:environmentKind`,
    );
  }
  if (kind === "feature" && !FEATURE_STACK.test(stack)) {
    r.fail("environmentKind", kind, `feature stacks must be named feature-pr-<N> (got "${stack}")`);
  }
  if (kind !== undefined && kind !== "cluster" && (!DNS_LABEL.test(stack) || stack.length > MAX_ENVIRONMENT_NAME)) {
    r.problem(
      `stack "${stack}": an app stack's name is its namespace and part of its labels: it must be a lower-case DNS label ` +
        `(letters, digits, -) of at most ${MAX_ENVIRONMENT_NAME} characters, so that "app.kubernetes.io/instance: ${LONGEST_WORKLOAD}-<name>" fits 63`,
    );
  }
  return kind;
}

/** The base host of an environment: `pr-142.preview.<domain>`, `qa.<domain>`, `staging.<domain>`, `<domain>`. */
export function environmentHost(kind: AppKind, environment: string, domain: string): string {
  switch (kind) {
    case "feature":
      return `pr-${FEATURE_STACK.exec(environment)?.[1] ?? environment}.preview.${domain}`;
    case "production":
      return domain;
    default:
      return `${environment}.${domain}`;
  }
}

/** The guardrails of one environment: its kind's profile, the catalogue's ports and its quota. */
export function guardrailsFor(kind: AppKind, environment: string, quota: QuotaProfile): GuardrailSettings {
  const profile = KIND_PROFILES[kind];
  const ports = [...new Set(SERVICE_CATALOGUE.map((s) => s.port))];
  const ingressPorts = [...new Set(SERVICE_CATALOGUE.filter((s) => s.hostPrefix !== undefined).map((s) => s.port))];
  return {
    environment,
    kind,
    quota,
    protect: profile.protect,
    ...profile.guardrails,
    appPorts: ports,
    ingressPorts,
    databasePort: DATABASE_DEFAULTS.port,
  };
}
