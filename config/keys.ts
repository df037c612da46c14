/**
 * The key table: every config key this program reads, which kinds of stack may set it, what a
 * value looks like and what it defaults to. Validation (unknown keys, keys out of scope, scalar
 * formats and defaults) and the "may only differ by" message are derived from it; the README's
 * configuration table is tested against it (tests/docs.spec.ts).
 *
 * What staging and production accept here are their explicit deltas: the keys that keep the two
 * environments identical by construction. Anything else is refused in those stacks.
 */
import { DEFAULT_APP_NAME, DEFAULT_GROUPS, EnvironmentKind } from "../policy/conventions";

/** Lower-case DNS subdomain (RFC 1123), e.g. a host or a Secret name. */
export const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
/** Lower-case DNS label (RFC 1123): a namespace name. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A Docker image tag. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** An RBAC subject name (group or user). */
export const SUBJECT_NAME = /^[^\s]{1,253}$/;

/** A scalar key's format: the pattern a value must match and, in words, what is accepted. */
export interface Format {
  pattern: RegExp;
  accepted: string;
}

/** One row of the key table. */
export interface KeySpec {
  /** The kinds of stack that may set the key, or every stack. */
  scopes: readonly EnvironmentKind[] | "all";
  /** Scalars: what a value must look like. Structured keys are checked by their readers. */
  format?: Format;
  /** The value used when the key is not set (lists as JSON). */
  default?: string;
  /** The value may hold a secret: problems name the key and never show the value. */
  secret?: boolean;
  /**
   * `"equal"`: staging and production may set the key, but not as a delta: the parity rule
   * compares the objects it renders, so the two must set the same value (the database image from
   * a private registry; its reader refuses the fields parity does not compare there).
   */
  parity?: "equal";
}

const FEATURE_QA = ["feature", "qa"] as const;
const APP_STACKS = ["feature", "qa", "staging", "production"] as const;

/** The key table (see the module comment). */
export const KEYS = {
  environmentKind: { scopes: "all" },
  appName: {
    scopes: "all",
    format: { pattern: DNS_LABEL, accepted: "a lower-case DNS label such as myapp" },
    default: DEFAULT_APP_NAME,
  },
  domain: {
    scopes: "all",
    format: { pattern: DNS_NAME, accepted: "a lower-case DNS domain such as yourteam.dev" },
    default: "yourteam.dev",
  },
  imageRegistry: {
    scopes: "all",
    format: {
      pattern: /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/,
      accepted: "an image repository prefix such as ghcr.io/yourorg/myapp",
    },
    default: "ghcr.io/yourorg/myapp",
  },
  kubeContext: {
    scopes: "all",
    format: { pattern: /^\S+$/, accepted: "a kubeconfig context name" },
  },
  ingressKind: {
    scopes: "all",
    format: { pattern: /^(ingress|ingressroute)$/, accepted: "ingress (networking.k8s.io/v1) or ingressroute (Traefik CRD)" },
    default: "ingressroute",
  },
  tlsCertResolver: {
    scopes: "all",
    format: { pattern: /^[A-Za-z0-9_-]+$/, accepted: "a Traefik cert resolver name" },
  },
  developerGroups: { scopes: ["feature", "cluster"], default: JSON.stringify(DEFAULT_GROUPS.developers) },
  developerUsers: { scopes: ["feature", "cluster"], default: "[]" },
  qaGroups: { scopes: ["cluster"], default: JSON.stringify(DEFAULT_GROUPS.qa) },
  qaUsers: { scopes: ["cluster"], default: "[]" },
  ciOidcRepository: {
    scopes: ["cluster"],
    format: { pattern: /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, accepted: "a GitHub repository as owner/name" },
  },
  alertReceivers: { scopes: ["cluster"], secret: true },
  imageTag: {
    scopes: APP_STACKS,
    format: { pattern: IMAGE_TAG, accepted: "a Docker image tag: letters, digits, _ . - (at most 128), e.g. a commit SHA" },
  },
  hosts: { scopes: APP_STACKS },
  secretRefs: { scopes: APP_STACKS },
  imageTags: { scopes: FEATURE_QA },
  previewServices: { scopes: ["feature"] },
  replicas: { scopes: FEATURE_QA },
  resources: { scopes: FEATURE_QA },
  pdbMinAvailable: { scopes: FEATURE_QA },
  database: { scopes: APP_STACKS, parity: "equal" },
  autoscaling: { scopes: ["staging", "production"] },
  dataRefresh: { scopes: ["staging"] },
  basicAuthUser: {
    scopes: ["qa", "staging"],
    format: { pattern: /^[A-Za-z0-9._-]{1,64}$/, accepted: "a user name of letters, digits, . _ -" },
    default: "team",
  },
  apiServerUrl: {
    scopes: ["cluster"],
    format: { pattern: /^https:\/\/\S+$/, accepted: "an https:// URL of the Kubernetes API server" },
    default: "https://127.0.0.1:6443",
  },
  github: { scopes: ["cluster"] },
  quotas: { scopes: ["cluster"] },
} as const satisfies Record<string, KeySpec>;

/** A key of the key table. */
export type ConfigKey = keyof typeof KEYS;

/** The spec of a key, or undefined for a key the program does not read. */
export function keySpec(key: string): KeySpec | undefined {
  return Object.hasOwn(KEYS, key) ? (KEYS as Record<string, KeySpec>)[key] : undefined;
}

/** Whether a stack of `kind` may set `key`. */
export function inScope(spec: KeySpec, kind: EnvironmentKind): boolean {
  return spec.scopes === "all" || spec.scopes.includes(kind);
}

/** The keys a locked stack may set beyond those every stack accepts: its parity deltas. */
export function parityDeltaKeys(kind: EnvironmentKind): string[] {
  return lockedKeys(kind, (spec) => spec.parity !== "equal");
}

/** The keys a locked stack may set, beyond those every stack accepts, that must equal its peer's. */
export function parityEqualKeys(kind: EnvironmentKind): string[] {
  return lockedKeys(kind, (spec) => spec.parity === "equal");
}

function lockedKeys(kind: EnvironmentKind, pick: (spec: KeySpec) => boolean): string[] {
  return Object.entries(KEYS as Record<string, KeySpec>)
    .filter(([, spec]) => spec.scopes !== "all" && inScope(spec, kind) && pick(spec))
    .map(([key]) => key);
}
