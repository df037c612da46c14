// Loads .ts files the way the program (../program-loader.js) and the pack (pack.js) run: transpiled
// by sucrase (imports + typescript transforms), no type check at run time (`npm test` runs tsc).
//
// Two caches, both in the user's own cache directory — `$TEAM_ENV_CACHE`, else
// `${XDG_CACHE_HOME:-~/.cache}/team-environments`, as the scripts' toolchain cache — never in a
// shared temp dir: what is read from there is executed, with the deployer's credentials, so no
// other local user may be able to write it.
// - Node's module compile cache (`node-compile-cache/`; `module.enableCompileCache`, Node >= 22.8,
//   which the toolchain installs; a no-op on older Node; `$NODE_COMPILE_CACHE` wins): V8's code for
//   every module loaded afterwards — the Pulumi harness, @pulumi/*, gRPC, the program — reused
//   while its source is unchanged.
// - sucrase's output (`ts/sucrase-<version>-<options and loader hash>/`, only if this user alone can
//   write it): one file per source path (one entry per file however often it is edited), used
//   while the SHA-256 of the source it was made from matches; sucrase itself loads only on a miss.
//   An unchanged program then spends nothing on transpiling (~0.1 s of CPU before the first
//   resource). Unwritable: transpiled every time.
// - No source map is appended: sucrase keeps every line where it was, so stack traces name the
//   right line of the .ts file (only columns can differ).
// NODE_DISABLE_COMPILE_CACHE=1 turns both off.
//
// Stack traces are left unmapped (see `unmappedStackTraces`): Pulumi's entrypoints install
// source-map-support, whose mapping cost every run CPU and only ever pointed the @pulumi/*
// packages' frames at .ts files they do not ship. TEAM_ENV_SOURCE_MAPS=1 keeps it mapping.
//
// @pulumi/pulumi's function serializer and its run harness's OpenTelemetry SDK, and
// @pulumi/kubernetes's Helm, kustomize and YAML modules, load on first use, not with the SDKs (see
// `deferredSdkModules`): they pulled `typescript`, `@npmcli/arborist`, the tracer and `glob` into
// every process, for work these processes do not do. TEAM_ENV_EAGER_SERIALIZER=1,
// TEAM_ENV_EAGER_TRACING=1 and TEAM_ENV_EAGER_K8S_TEMPLATES=1 load them with the SDKs again.
//
// Plain Node built-ins only: the caller passes its own `require`, from which sucrase is resolved
// (the program's from the root's node_modules, the pack's from policy/node_modules).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const OPTIONS = { transforms: ["imports", "typescript"] };

const sha256 = (text) => crypto.createHash("sha256").update(text).digest("hex");

/** The user's cache directory for this project (scripts/local/env.ts's `cacheDir`, scripts/lib/cache.sh). */
function cacheRoot(env = process.env) {
  return env.TEAM_ENV_CACHE || path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), ".cache"), "team-environments");
}

/** Installs the .ts loader; `resolveFrom` is the caller's `require`. */
function register(resolveFrom) {
  unmappedStackTraces(resolveFrom);
  deferredSdkModules();
  const root = cacheRoot();
  require("module").enableCompileCache?.(process.env.NODE_COMPILE_CACHE || path.join(root, "node-compile-cache"));
  const version = resolveFrom("sucrase/package.json").version;
  // Node turns its cache off when the variable is set at all, even empty: the same here.
  const disabled = process.env.NODE_DISABLE_COMPILE_CACHE !== undefined;
  // Output depends on sucrase's version, its options and this loader: all three name the directory.
  const key = `sucrase-${version}-${sha256(JSON.stringify(OPTIONS) + fs.readFileSync(__filename, "utf8")).slice(0, 12)}`;
  const dir = disabled ? undefined : privateDir(path.join(root, "ts", key));
  let sucrase;
  const transpile = (source, filename) => {
    sucrase ??= resolveFrom("sucrase");
    return sucrase.transform(source, { ...OPTIONS, filePath: filename }).code;
  };
  require.extensions[".ts"] = (module, filename) => {
    const source = fs.readFileSync(filename, "utf8");
    module._compile(dir ? cached(dir, source, filename, transpile) : transpile(source, filename), filename);
  };
}

/**
 * Tells the source-map-support that Pulumi's entrypoint installs (`cmd/run` for the program, after
 * this loader; `cmd/run-policy-pack` for the pack, before it) that no file has a source map, with
 * its own `retrieveSourceMap` option: either order keeps the handler. It rewrites every frame of
 * every stack trace through the .js.map beside the file, and the SDK takes a trace of unlimited
 * depth for each resource it registers (its source position), on the program's one thread. Our
 * .ts files have no map (above), so the only frames it changed were the @pulumi/* packages' own,
 * which it pointed at .ts files the packages do not ship (`node_modules/@pulumi/config.ts:301`).
 * Now they name the .js file that ran, and the program's traces are Node's own. Nothing to do if
 * the SDK no longer depends on source-map-support.
 */
function unmappedStackTraces(resolveFrom) {
  if (process.env.TEAM_ENV_SOURCE_MAPS === "1") return;
  let sourceMapSupport;
  try {
    const sdk = path.dirname(resolveFrom.resolve("@pulumi/pulumi/package.json"));
    sourceMapSupport = require(require.resolve("source-map-support", { paths: [sdk] }));
  } catch {
    return;
  }
  const node = Error.prepareStackTrace;
  sourceMapSupport.install({ retrieveSourceMap: () => null, overrideRetrieveSourceMap: true });
  // The program's case: this call installed its formatter, and the entrypoint's install() will not
  // again. With no map to apply, Node's own formatting gives the same text, without source-map-
  // support's JavaScript rewriting each frame. (The pack keeps the entrypoint's formatter, unmapped.)
  Error.prepareStackTrace = node;
}

/**
 * The modules of @pulumi/pulumi's function serializer that its `runtime/index.js` loads, and the
 * functions it takes from each (all it takes: tests/policy/ts-loader.spec.ts reads the SDK's file).
 */
const SERIALIZER = {
  "./closure/serializeClosure": ["serializeFunction", "serializeFunctionAsync"],
  "./closure/codePaths": ["computeCodePaths"],
};

/**
 * The OpenTelemetry SDK modules the run harness's `cmd/run/tracing.js` loads, and the functions and
 * classes it takes from each (all it takes, read by the same spec). It uses them only in `start`,
 * which the harness calls when the engine passes `--tracing` (`pulumi --tracing`).
 */
const TRACING = {
  "@opentelemetry/resources": ["defaultResource", "resourceFromAttributes"],
  "@opentelemetry/sdk-trace-base": ["SimpleSpanProcessor"],
  "@opentelemetry/exporter-zipkin": ["ZipkinExporter"],
  "@opentelemetry/instrumentation-grpc": ["GrpcInstrumentation"],
  "@opentelemetry/sdk-trace-node": ["NodeTracerProvider"],
  "@opentelemetry/instrumentation": ["registerInstrumentations"],
};

/**
 * The modules of @pulumi/kubernetes's index that render manifests the SDK is given (Helm charts,
 * kustomizations, YAML), whole: the index only re-exports them. This program registers typed
 * objects and uses none of them.
 */
const K8S_TEMPLATES = { "./helm": [], "./kustomize": [], "./yaml": [] };

/**
 * What is deferred, by the Pulumi SDK file that requires it, with the variable that loads it
 * with the SDK again:
 * - The function serializer (`pulumi.runtime.serializeFunction`, for dynamic providers and function
 *   assets, and `computeCodePaths`). `runtime/index.js`, which the SDK's index loads through its
 *   Automation API, requires both modules eagerly, and they require `typescript` (a function's
 *   parser) and `@npmcli/arborist` (a package's dependency tree): 0.45 s of the program's 0.65 s of
 *   imports before its first resource (the pack's harness loads `typescript` itself, so there it is
 *   arborist alone). Neither the program nor the pack serializes a function; the SDK's `dynamic`
 *   module already requires the serializer only when called.
 * - The OpenTelemetry SDK of the program's run harness: about 0.12 s before the harness registers
 *   the stack, on every run, tracing off. (The harness's OpenTelemetry API, which every span goes
 *   through, loads with the SDK's runtime as before.)
 * - @pulumi/kubernetes's Helm, kustomize and YAML modules (`glob`, `js-yaml` and the rest): 25 ms
 *   of a Node start that loads both SDKs.
 */
const DEFERRED = [
  { file: /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]index\.js$/, modules: SERIALIZER, eager: "TEAM_ENV_EAGER_SERIALIZER" },
  { file: /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run[\\/]tracing\.js$/, modules: TRACING, eager: "TEAM_ENV_EAGER_TRACING" },
  { file: /[\\/]@pulumi[\\/]kubernetes[\\/]index\.js$/, modules: K8S_TEMPLATES, eager: "TEAM_ENV_EAGER_K8S_TEMPLATES" },
];

/**
 * Loads the modules in DEFERRED when what is taken from them is first called (or constructed),
 * instead of when the SDK loads; a module with no names listed, when anything is first asked of it.
 * Only the file named gets the stand-in, and only the names listed are deferred: a call loads the
 * real module and runs the real function. Anything else asked of it loads the real module at once
 * (no gain, nothing wrong), so an SDK that changes what it takes from these modules stays correct.
 */
function deferredSdkModules() {
  const byRequest = new Map();
  for (const d of DEFERRED) {
    if (process.env[d.eager] === "1") continue;
    for (const [request, names] of Object.entries(d.modules)) byRequest.set(request, [...(byRequest.get(request) ?? []), { ...d, names }]);
  }
  if (byRequest.size === 0) return;
  const Module = require("module");
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    // Every require passes here: the cheap test first.
    const d = byRequest.get(request)?.find((x) => x.file.test(parent?.filename ?? ""));
    return d ? standIn(request, d, () => load.call(this, request, parent, isMain)) : load.apply(this, arguments);
  };
}

/**
 * What the SDK's file gets for `request`: the deferred names load the real module (`loadReal`,
 * once) on their first call, or `new`; anything else asked of it (a property, its keys, `in`)
 * loads it at once and answers from it.
 */
function standIn(request, { names, eager }, loadReal) {
  let real;
  const loaded = () => (real ??= loadReal());
  const onFirstUse = (name) =>
    function (...args) {
      const f = loaded()[name];
      if (typeof f !== "function") throw new TypeError(`@pulumi: ${request} has no ${name} (set ${eager}=1)`);
      return new.target ? Reflect.construct(f, args) : f.apply(this, args);
    };
  return new Proxy(
    {},
    {
      get: (_, name) => (real === undefined && names.includes(name) ? onFirstUse(name) : loaded()[name]),
      has: (_, name) => name in loaded(),
      ownKeys: () => Reflect.ownKeys(loaded()),
      // Reported configurable: the Proxy's own target has none of these properties.
      getOwnPropertyDescriptor: (_, name) => {
        const d = Reflect.getOwnPropertyDescriptor(loaded(), name);
        return d && { ...d, configurable: true };
      },
    },
  );
}

/**
 * `dir`, created if needed, when only this user can write it (owned by them, no group or other
 * write): what is read from it is executed. Otherwise (or not creatable) no cache.
 */
function privateDir(dir) {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.lstatSync(dir);
    const own = process.getuid === undefined || stat.uid === process.getuid();
    return stat.isDirectory() && own && (stat.mode & 0o022) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * sucrase's output for `source` from the cache, or transpiled and stored. An entry's first line
 * holds the SHA-256 of the source it was made from and of the output that follows: a stale, torn or
 * altered entry is transpiled again.
 */
function cached(dir, source, filename, transpile) {
  const sourceHash = sha256(source);
  const entry = path.join(dir, sha256(filename));
  try {
    const stored = fs.readFileSync(entry, "utf8");
    const newline = stored.indexOf("\n");
    const code = stored.slice(newline + 1);
    if (stored.slice(0, newline) === `${sourceHash} ${sha256(code)}`) return code;
  } catch {
    // Not cached yet.
  }
  const code = transpile(source, filename);
  // Written whole to a new file of its own (never an existing one, nor through a link), then
  // renamed: a concurrent run (the program and the pack start together) reads the old entry or the
  // new one, never half of one.
  const partial = `${entry}.${process.pid}.${crypto.randomBytes(6).toString("hex")}`;
  try {
    fs.writeFileSync(partial, `${sourceHash} ${sha256(code)}\n${code}`, { flag: "wx", mode: 0o600 });
    fs.renameSync(partial, entry);
  } catch {
    // Not writable (full, read-only): transpiled again next time.
    fs.rmSync(partial, { force: true });
  }
  return code;
}

module.exports = { register, cacheRoot, DEFERRED, SERIALIZER, TRACING, K8S_TEMPLATES };
