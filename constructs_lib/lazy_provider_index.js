"use strict";
// Preloaded into the jsii kernel's node process by constructs_lib/bindings.py (fast mode only).
//
// The AWS bindings' JavaScript entry point, @cdktf/provider-aws/lib/index.js, eagerly requires all
// of its ~2,200 resource modules (about 1.6 s) when the kernel loads the assembly, although a synth
// uses about a hundred. This hook compiles that one file with each
//     exports.kmsKey = require("./kms-key");
// turned into a getter that requires the module on first access, which is how the kernel reaches
// every type (property by property, from the assembly's exports). Every other file, and any line of
// that file in another shape, compiles unchanged: an unfamiliar layout only loses the speed-up.
const Module = require("module");
const fs = require("fs");

const PROVIDER_INDEX = /[\\/]@cdktf[\\/]provider-aws[\\/]lib[\\/]index\.js$/;
const EAGER_EXPORT = /^exports\.([A-Za-z_$][\w$]*) = require\(("\.\/[\w.-]+")\);$/gm;

function lazyExports(source) {
  return source.replace(
    EAGER_EXPORT,
    (_, name, path) =>
      `Object.defineProperty(exports, "${name}", { enumerable: true, configurable: true, get: () => require(${path}) });`,
  );
}

const compileJs = Module._extensions[".js"];
Module._extensions[".js"] = function compileProviderIndexLazily(module, filename) {
  if (!PROVIDER_INDEX.test(filename)) {
    return compileJs(module, filename);
  }
  module._compile(lazyExports(fs.readFileSync(filename, "utf8")), filename);
};

module.exports = { lazyExports };
