// How the engine loads this program (Pulumi.yaml: runtime.options.nodeargs `--require`): .ts
// transpiled by sucrase on load, with Node's module compile cache and a cache of sucrase's output
// (policy/ts-loader.js, shared with the policy pack; ~0.2 s of every preview and up). No type
// check at run time: `npm test` runs tsc. The same loader leaves @pulumi/pulumi's function
// serializer (and the `typescript` and `@npmcli/arborist` it loads) until a function is serialized,
// the run harness's OpenTelemetry SDK until tracing starts, and @pulumi/kubernetes's Helm,
// kustomize and YAML modules until they are used.
"use strict";
require("./policy/ts-loader.js").register(require);

// The SDK's trace of its own RPCs stays in the program unless asked for. @pulumi/pulumi sends it
// through the engine's Log RPC at debug level: "Registering resource", "RegisterResource RPC
// prepared" and "finished" for every resource, and the same for component outputs — about 180
// RPCs in a preview's `up`, each through the engine's event pipeline, shown only by `--debug`. The
// engine logs every registration it receives itself (`-v=5 --logtostderr`). Skipping them took
// `pulumi preview` of an unchanged preview stack from 1.78 s to 1.67 s, and 2.42 s of CPU to 2.22 s
// (medians of 12 alternating runs). This program sends nothing else at debug level;
// TEAM_ENV_PROGRAM_DEBUG_LOGS=1 sends it all (tests/program-loader.spec.ts).
if (process.env.TEAM_ENV_PROGRAM_DEBUG_LOGS !== "1") {
  // The module the run harness logs through (the same file, so the same exports object).
  require("@pulumi/pulumi/log").debug = () => Promise.resolve();
}
