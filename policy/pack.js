// The policy pack's entry (package.json "main"); the pack itself is index.ts.
//
// `pulumi preview/up --policy-pack policy` starts the pack with @pulumi/pulumi's run-policy-pack,
// which registers ts-node with `typeCheck: true` for every .ts file, whatever tsconfig.json or the
// environment say: type-checking the pack took ~1.7 s of every preview and up on 2 cores. The
// program loads through sucrase without a type check (Pulumi.yaml `nodeargs`); the pack does the
// same here: ts-loader.js replaces ts-node's `.ts` hook, so ts-node never sees a .ts file. Types are
// checked where they belong: `npm test` runs tsc over policy/ (tests/policy/pack-loader.spec.ts
// proves ts-node compiles nothing here). Node's compile cache is written once the pack is loaded:
// the engine kills the pack at the end of a run, before Node would write it at exit.
"use strict";
require("./ts-loader.js").register(require);
require("./index.ts");
require("node:module").flushCompileCache?.();
