// Loads .ts files the way the program (../program-loader.js) and the pack (pack.js) run: transpiled
// by sucrase (imports + typescript transforms), no type check at run time (`npm test` runs tsc).
//
// - Node's module compile cache (Node >= 22.1, which the toolchain installs; a no-op on older
//   Node) is turned on first: V8's compiled code for every module loaded afterwards — the Pulumi
//   harness, @pulumi/*, gRPC, the program — is reused while its source is unchanged.
// - sucrase's output is cached too, by file: `<tmpdir>/team-environments-ts/sucrase-<version>/`, one
//   file per source path (so the cache holds at most one entry per file, never grows with edits),
//   used while the SHA-256 of the source it was made from matches. sucrase itself loads only on a
//   miss. An unchanged program then spends nothing on transpiling (~0.1 s of CPU before the first
//   resource). Unwritable temp dir: transpiled every time, as without the cache.
// - No source map is appended: sucrase keeps every line where it was, so stack traces name the
//   right line of the .ts file (only columns can differ).
// NODE_DISABLE_COMPILE_CACHE=1 turns both caches off.
//
// Plain Node built-ins only: the caller passes its own `require`, from which sucrase is resolved
// (the program's from the root's node_modules, the pack's from policy/node_modules).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const OPTIONS = { transforms: ["imports", "typescript"] };

/** Installs the .ts loader; `resolveFrom` is the caller's `require`. */
function register(resolveFrom) {
  require("module").enableCompileCache?.();
  const version = resolveFrom("sucrase/package.json").version;
  const dir = process.env.NODE_DISABLE_COMPILE_CACHE ? undefined : path.join(os.tmpdir(), "team-environments-ts", `sucrase-${version}`);
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

/** sucrase's output for `source` from the cache, or transpiled and stored (first line: the source's hash). */
function cached(dir, source, filename, transpile) {
  const hash = crypto.createHash("sha256").update(source).digest("hex");
  const entry = path.join(dir, crypto.createHash("sha256").update(filename).digest("hex"));
  try {
    const stored = fs.readFileSync(entry, "utf8");
    const newline = stored.indexOf("\n");
    if (stored.slice(0, newline) === hash) return stored.slice(newline + 1);
  } catch {
    // Not cached yet.
  }
  const code = transpile(source, filename);
  try {
    // Written whole, then renamed: a concurrent run (the program and the pack start together)
    // reads the old entry or the new one, never half of one.
    fs.mkdirSync(dir, { recursive: true });
    const partial = `${entry}.${process.pid}`;
    fs.writeFileSync(partial, `${hash}\n${code}`);
    try {
      fs.renameSync(partial, entry);
    } catch {
      fs.rmSync(partial, { force: true });
    }
  } catch {
    // No cache where the temp dir is not writable: transpiled again next time.
  }
  return code;
}

module.exports = { register };
