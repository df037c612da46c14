// How the engine loads this program (Pulumi.yaml: runtime.options.nodeargs `--require`): .ts
// transpiled by sucrase on load, with Node's module compile cache and a cache of sucrase's output
// (policy/ts-loader.js, shared with the policy pack; ~0.2 s of every preview and up). No type
// check at run time: `npm test` runs tsc.
"use strict";
require("./policy/ts-loader.js").register(require);
