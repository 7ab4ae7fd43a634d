import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
} from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Lambda's Node major; the bundle targets the same version so esbuild keeps native syntax. */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;
export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * ESM bundles cannot `require`, but some CommonJS code bundled into them still calls it for Node
 * built-ins; this gives them one without a separate CommonJS build.
 */
const REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/**
 * undici's HTTP parser is WebAssembly in two builds: SIMD (72 KB) and a fallback for a CPU or
 * runtime without WebAssembly SIMD (another 72 KB), required only when the SIMD build fails to
 * compile. Lambda's x86_64 and arm64 Node 24 compile the SIMD build (V8 needs SSE4.1 or NEON, which
 * both have; `test/infra/lifecycle-function.test.ts` compiles it on this Node), so the fallback is
 * left out of the bundles: a ninth of the worker's size, for a path Lambda never takes.
 */
export const UNDICI_FALLBACK_PARSER = '*/llhttp-wasm.js';

/**
 * undici's fetch body code (WebIDL, FormData, its multipart parser: 40 KB) reaches the HTTP/1 and
 * HTTP/2 clients through one lazy `require`, taken only for a FormData request body. The CPaaS
 * transport sends JSON strings (`http-transport.ts`), so the bundles leave it out, as they leave
 * out the fallback parser.
 */
export const UNDICI_FORM_DATA_BODY = '*/web/fetch/body.js';

/**
 * Node 24 builds the ES module face of `node:http` by reading every export, and one of them
 * (`WebSocket` and its events) loads Node's own copy of undici: `import http from 'node:http'`
 * costs ~25 ms where `require('node:http')` costs 3. The AWS SDK's ES builds import `node:http`
 * and `node:https` that way (its HTTP handler, the IMDS credential code), so the bundles take
 * both from these CommonJS files instead (`process.getBuiltinModule`, the same module objects):
 * ~11 ms off the init of a handler with the four SDK clients alone, ~11 ms off ingest's, ~7 ms
 * off the worker's, on this machine (docs/performance.md, row 5).
 */
export const BUILTIN_ALIASES: Readonly<Record<string, string>> = {
  // esbuild resolves an alias from its working directory, the repository root for the CDK's
  // local bundling (the project root) and for the bench's `bundleAsDeployed`.
  'node:http': './infra/bundling/node-http.cjs',
  'node:https': './infra/bundling/node-https.cjs',
};

/** How every handler is bundled; exported so the bench's cold-start figures use the same settings. */
export const LAMBDA_BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node24',
  platform: 'node',
  minify: true,
  mainFields: ['module', 'main'],
  banner: REQUIRE_BANNER,
  externalModules: [UNDICI_FALLBACK_PARSER, UNDICI_FORM_DATA_BODY],
  esbuildArgs: Object.fromEntries(
    Object.entries(BUILTIN_ALIASES).map(([builtin, file]) => [`--alias:${builtin}`, file]),
  ),
} satisfies BundlingOptions;

export interface LifecycleFunctionProps {
  /** Path of the handler module, relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
  /** Concurrent executions kept for this function alone (and its cap); none when absent. */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * One Lambda function with its own log group, bundled the same way for every handler: local
 * esbuild (no Docker), minified ESM for arm64, and the AWS SDK v3 clients bundled in rather than
 * taken from the runtime. Bundling pins the SDK version the tests ran against, and a tree-shaken
 * single file loads faster at cold start than resolving the runtime's full CommonJS SDK packages.
 */
export class LifecycleFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: LifecycleFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: LOG_RETENTION,
      // Logs are operational data of this stack only; keeping them after `cdk destroy` just costs.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to any log group.
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(role);
    this.function = new NodejsFunction(this, 'Function', {
      role,
      entry: fileURLToPath(new URL(`../${props.entry}`, import.meta.url)),
      handler: 'handler',
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      environment: props.environment,
      logGroup: this.logGroup,
      // Lambda's JSON log format: Powertools' lines pass through as they are, and the levels are
      // Lambda's own. INFO keeps the one line per event and drops the CPaaS client's per-call
      // DEBUG lines; WARN for the platform drops START/END/REPORT (about 300 bytes an invocation,
      // the same figures are CloudWatch metrics) while keeping timeouts and crashes.
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      bundling: { ...LAMBDA_BUNDLING, forceDockerBundling: false },
    });
  }
}
