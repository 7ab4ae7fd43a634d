// `node:http` for the Lambda bundles, without an ES module import: see BUILTIN_ALIASES.
module.exports = process.getBuiltinModule('node:http');
