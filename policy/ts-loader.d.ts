/** Types of ts-loader.js (plain JavaScript: it loads before any TypeScript can). */

/** Installs the .ts loader; `resolveFrom` is the caller's `require`, from which sucrase is resolved. */
export function register(resolveFrom: NodeJS.Require): void;

/** The user's cache directory for this project; scripts/local/env.ts's `cacheDir` is this. */
export function cacheRoot(env?: NodeJS.ProcessEnv): string;
