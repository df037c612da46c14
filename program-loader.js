// How the engine loads this program (Pulumi.yaml: runtime.options.nodeargs `--require`).
//
// 1. Node's module compile cache (Node >= 22.1, which the toolchain installs; a no-op on older
//    Node): V8's compiled code for every module loaded after this line — the Pulumi run harness,
//    @pulumi/*, gRPC, the program — is kept on disk (NODE_COMPILE_CACHE, else the OS temp dir's
//    node-compile-cache) and reused while the module's source is unchanged. ~0.2 s of every
//    preview and up (bench:e2e, engine fixed cost).
// 2. TypeScript transpiled on load by sucrase: no type check at run time, which `npm test` does.
"use strict";
require("node:module").enableCompileCache?.();
require("sucrase/register/ts");
