/** Types of ts-loader.js (plain JavaScript: it loads before any TypeScript can). */

/** Installs the .ts loader; `resolveFrom` is the caller's `require`, from which sucrase is resolved. */
export function register(resolveFrom: NodeJS.Require): void;

/** The user's cache directory for this project; scripts/local/env.ts's `cacheDir` is this. */
export function cacheRoot(env?: NodeJS.ProcessEnv): string;

/** The modules of @pulumi/pulumi's function serializer loaded on first use, and the functions deferred in each. */
export const SERIALIZER: Readonly<Record<string, readonly string[]>>;

/** The OpenTelemetry SDK modules of the run harness's tracing loaded on first use, and the names deferred in each. */
export const TRACING: Readonly<Record<string, readonly string[]>>;

/** The modules of @pulumi/kubernetes's index loaded on first use (whole: no name is deferred). */
export const K8S_TEMPLATES: Readonly<Record<string, readonly string[]>>;

/** Each deferral: the SDK file whose requires are deferred, its modules (one of the tables above), and the variable that loads them eagerly again. */
export const DEFERRED: readonly { file: RegExp; modules: Readonly<Record<string, readonly string[]>>; eager: string }[];
