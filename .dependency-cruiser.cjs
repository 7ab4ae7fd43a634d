/**
 * The architecture, checked in CI (`npm run lint:architecture`). Rooms, lowest first:
 *   lambdas/contract  names and settings of what is deployed: env variables, the state table, defaults
 *   lambdas/core      what the deployed functions share: events, CPaaS client, converge, state, config
 *   lambdas/<fn>      one folder per deployed function (ingest, worker, sweep, scim)
 *   tools/            what runs on a person's machine: CLI, local mode, sandbox, bench, operations
 *   infra/            the CDK app; it reads only the contract
 * A room imports only the rooms below it, and nothing imports in a cycle.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'An import cycle ties modules into one knot that can only be read, tested and changed together.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lambdas-never-import-tools',
      comment: "What is deployed must not depend on what runs on a person's machine.",
      severity: 'error',
      from: { path: '^lambdas/' },
      to: { path: '^tools/' },
    },
    {
      name: 'infra-imports-only-the-contract',
      comment: 'The stack knows the functions by their contract (names, env, settings), never by their code.',
      severity: 'error',
      from: { path: '^infra/' },
      to: { path: '^(lambdas|tools)/', pathNot: '^lambdas/contract/' },
    },
    {
      name: 'contract-is-the-floor',
      comment: 'The contract is read by infra and every function, so it imports no project code above it.',
      severity: 'error',
      from: { path: '^lambdas/contract/' },
      to: { path: '^(lambdas|tools|infra)/', pathNot: '^lambdas/contract/' },
    },
    {
      name: 'core-below-the-functions',
      comment: 'Shared code lives in core; core never reaches up into one function.',
      severity: 'error',
      from: { path: '^lambdas/core/' },
      to: { path: '^lambdas/(ingest|worker|sweep|scim)/' },
    },
    {
      name: 'functions-apart',
      comment: 'A function does not import another: what two of them need belongs in core.',
      severity: 'error',
      from: { path: '^lambdas/(ingest|worker|sweep|scim)/' },
      to: { path: '^lambdas/(ingest|worker|sweep|scim)/', pathNot: '^lambdas/$1/' },
    },
    {
      name: 'production-never-imports-tests',
      severity: 'error',
      from: { path: '^(lambdas|tools|infra)/' },
      to: { path: '^test/' },
    },
    {
      name: 'lambdas-use-runtime-dependencies',
      comment: "A devDependency is not in the bundle's lockfile guarantees; types only are fine.",
      severity: 'error',
      from: { path: '^lambdas/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'lambdas-zod-through-mini',
      comment:
        "zod's classic API bundles all of zod (445 KB) into a function; lambdas/core/validation/zod.ts is zod/mini, which tree-shakes, with English messages.",
      severity: 'error',
      from: { path: '^lambdas/', pathNot: '^lambdas/core/validation/zod\\.ts$' },
      to: { path: 'node_modules/zod/' },
    },
    {
      name: 'lambdas-undici-by-module',
      comment:
        "undici's entry point bundles all of undici (525 KB) into a function; import the modules used (lambdas/core/cpaas/undici-modules.d.ts). Types (and declaration files, which never run) may use it.",
      severity: 'error',
      from: { path: '^lambdas/', pathNot: '\\.d\\.ts$' },
      to: { path: 'node_modules/undici/index\\.', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // TypeScript 7 has no compiler API yet; swc parses the sources, type-only imports included.
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    // node_modules is not followed but stays in the graph: the npm rules above must see it.
    exclude: { path: '^cdk\\.out/' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
