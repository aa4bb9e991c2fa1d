import { existsSync } from 'fs';
import {
  Duration,
  Stack,
  Tags,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_lambda_nodejs as nodejs,
  aws_logs as logs,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { IHandlerFunction } from './i-handler-function';
import { ManagedPolicyRole } from './managed-policy-role';
import { acknowledge, complianceRuleIds, controlTowerRule } from '../core/acknowledge';
import { stackRelativeName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { encryptedLogGroup } from '../governance/encrypted-log-group';
import { EnvironmentConfig, LogLevel } from '../governance/environment-config';
import { AlarmSet, LambdaAlarmOptions } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';

/** Properties of an EnhancedLambdaFunction. Give exactly one of `entry` and `code`. */
export interface EnhancedLambdaFunctionProps {
  /**
   * TypeScript or JavaScript entry file, bundled with esbuild at synth (minified, tree-shaken).
   * @default - none: give `code`
   */
  readonly entry?: string;
  /**
   * Prebuilt code, e.g. `lambda.Code.fromAsset('dist/handlers/foo')` bundled at build time.
   * @default - none: give `entry`
   */
  readonly code?: lambda.Code;
  /**
   * Handler: the exported function name with `entry`, `file.export` with `code`.
   * @default 'handler' with entry, 'index.handler' with code
   */
  readonly handler?: string;
  /**
   * esbuild options for `entry`, merged over the defaults. The AWS SDK v3 is bundled by default
   * because the bundle, holding only the tree-shaken code of the commands used, initializes faster
   * than the runtime's CommonJS copy of the whole SDK (measured in docs/benchmarks.md). To use the
   * runtime's copy instead, pass `{ bundleAwsSDK: false }`; `externalModules` replaces the
   * external list altogether (the SDK is bundled unless it is listed there).
   * @default - minified, with a source map, ES2023 target, the ES module builds of dependencies
   * preferred (`mainFields: ['module', 'main']`, so they tree-shake), and the AWS SDK v3 bundled
   * (`bundleAwsSDK: true`)
   */
  readonly bundling?: nodejs.BundlingOptions;
  /**
   * Runtime. Keep the newest Node.js runtime (AwsSolutions-L1).
   * @default lambda.Runtime.NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;
  /**
   * Description of the function.
   * @default - none
   */
  readonly description?: string;
  /**
   * Memory in MB (128-10240).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout (1-900 seconds).
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Environment variables (encrypted at rest with the customer-managed key).
   * @default - only the Powertools variables
   */
  readonly environment?: Record<string, string>;
  /**
   * `POWERTOOLS_SERVICE_NAME`, used by logs, metrics and traces.
   * @default - the construct id
   */
  readonly serviceName?: string;
  /**
   * `POWERTOOLS_METRICS_NAMESPACE` for EMF metrics.
   * @default - the service name
   */
  readonly metricsNamespace?: string;
  /**
   * Application log level (Lambda JSON logging and `POWERTOOLS_LOG_LEVEL`).
   * @default - the EnvironmentConfig's logLevel
   */
  readonly logLevel?: LogLevel;
  /**
   * Customer-managed key for environment variables, the log group and the DLQ. It must let
   * CloudWatch Logs use it (the library adds that statement to keys it can modify).
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Retention of the function's log group.
   * @default - the EnvironmentConfig's logRetention
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * VPC to place the function in, with a dedicated security group.
   * @default - not in a VPC (acknowledged LambdaInsideVPC findings say so)
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets in `vpc`.
   * @default - private subnets with egress, else isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups for the function in `vpc`, e.g. from `Network.securityGroupForFunction`.
   * @default - a dedicated security group that allows only HTTPS out
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Reserved concurrency (0 disables the function).
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Provisioned concurrency on the live alias (turns the alias on).
   * @default - none
   */
  readonly provisionedConcurrentExecutions?: number;
  /**
   * Whether failed asynchronous invocations go to an encrypted SQS dead-letter queue.
   * @default true
   */
  readonly deadLetterQueueEnabled?: boolean;
  /**
   * Existing dead-letter queue to use instead of creating one.
   * @default - a new encrypted queue when deadLetterQueueEnabled
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Whether each change publishes a version and a `live` alias points at it. Gradual deployments
   * (`SafeDeployment`) and provisioned concurrency need it; without it callers invoke the function
   * itself and the stack saves a version and an alias per function.
   * @default - true when provisionedConcurrentExecutions or aliasName is set, else false
   */
  readonly liveAliasEnabled?: boolean;
  /**
   * Name of the alias that always points at the current version (turns the alias on).
   * @default 'live'
   */
  readonly aliasName?: string;
  /**
   * AlarmSet to add the function's alarms to.
   * @default - a new AlarmSet named after the construct
   */
  readonly alarms?: AlarmSet;
  /**
   * Thresholds of the function's alarms.
   * @default - errors >= 1/min, throttles >= 1/min, p99 duration >= 80% of the timeout, DLQ depth >= 1
   */
  readonly alarmOptions?: LambdaAlarmOptions;
  /**
   * Tags for the function and everything it creates.
   * @default - none beyond inherited tags
   */
  readonly tags?: Record<string, string>;
}

const RESERVED_ENV = /^(AWS_|_HANDLER$|_X_AMZN_TRACE_ID$|LAMBDA_TASK_ROOT$|LAMBDA_RUNTIME_DIR$|TZ$)/;

/**
 * A Node.js Lambda function with production defaults: ARM64 on the newest Node.js runtime,
 * X-Ray active tracing, JSON structured logs to its own KMS-encrypted log group with
 * retention, environment encrypted with a customer-managed key, a role whose every permission
 * sits in one customer-managed policy, an encrypted dead-letter queue, a `live` alias when enabled,
 * Powertools environment, and alarms (errors, throttles, p99 duration, DLQ depth).
 */
export class EnhancedLambdaFunction extends Construct implements IHandlerFunction, ec2.IConnectable {
  /** The underlying function. */
  public readonly function: lambda.Function;
  /** Alias that points at the current version, when `liveAliasEnabled`. */
  public readonly liveAlias?: lambda.Alias;
  /**
   * What callers invoke and integrations target: the live alias when there is one, else the
   * function. The library's integrations (routes, queues, rules, schedules) use it.
   */
  public readonly invocationTarget: lambda.IFunction;
  /** The function's timeout. */
  public readonly timeout: Duration;
  /** Execution role. */
  public readonly role: iam.Role;
  /** Customer-managed policy holding every permission of the role. */
  public readonly policy: iam.ManagedPolicy;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;
  /** Key encrypting environment, logs and DLQ. */
  public readonly encryptionKey: kms.IKey;
  /** Dead-letter queue for failed asynchronous invocations, if enabled. */
  public readonly deadLetterQueue?: sqs.IQueue;
  /** Dedicated security group, when the function is in a VPC and no `securityGroups` were given. */
  public readonly securityGroup?: ec2.SecurityGroup;
  /** Alarms of the function. */
  public readonly alarms: AlarmSet;
  /** Principal to grant permissions to (grants land in the customer-managed policy). */
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: EnhancedLambdaFunctionProps) {
    super(scope, id);
    // Required arguments, checked at run time for JavaScript callers (no TypeError further in).
    const args = new PropsValidator('EnhancedLambdaFunction', this);
    args.required('props', props, 'object', 'EnhancedLambdaFunctionProps (an object)');
    validate(this, props);
    const profile = EnvironmentConfig.of(this);
    const serviceName = props.serviceName ?? id;
    const logLevel = props.logLevel ?? profile.logLevel;

    this.encryptionKey = props.encryptionKey ?? defaultKey(this);

    const role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.role = role;
    this.policy = role.policy;
    this.grantPrincipal = role;

    this.logGroup = encryptedLogGroup(this, 'LogGroup', { encryptionKey: this.encryptionKey, retention: props.logRetention });
    // Written explicitly because the role has no AWS managed policy (AwsSolutions-IAM4).
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteOwnLogGroup',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));

    if (props.deadLetterQueueEnabled !== false) {
      this.deadLetterQueue = props.deadLetterQueue ?? this.createDeadLetterQueue(profile);
    }
    // Lambda sends to the encrypted DLQ with the execution role's permissions.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'UseEncryptionKey',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [this.encryptionKey.keyArn],
    }));

    if (props.vpc) {
      if (!props.securityGroups) {
        this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
          vpc: props.vpc,
          description: `Dedicated security group of ${this.node.path}`,
          allowAllOutbound: false,
        });
        this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs through VPC endpoints or NAT');
      }
      // What AWSLambdaVPCAccessExecutionRole grants, without the AWS managed policy.
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'ManageVpcNetworkInterfaces',
        actions: [
          'ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }));
    }

    const environment: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: serviceName,
      POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? serviceName,
      POWERTOOLS_LOG_LEVEL: logLevel,
      ...props.environment,
    };
    this.timeout = props.timeout ?? Duration.seconds(30);
    const common: lambda.FunctionOptions = {
      description: props.description,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: this.timeout,
      environment,
      environmentEncryption: this.encryptionKey,
      role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: logLevel as string as lambda.ApplicationLogLevel,
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      tracing: lambda.Tracing.ACTIVE,
      deadLetterQueue: this.deadLetterQueue,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? (props.vpcSubnets ?? defaultSubnets(props.vpc)) : undefined,
      securityGroups: props.securityGroups ?? (this.securityGroup ? [this.securityGroup] : undefined),
    };
    const runtime = props.runtime ?? lambda.Runtime.NODEJS_24_X;
    if (props.entry) {
      this.function = new nodejs.NodejsFunction(this, 'Function', {
        ...common,
        runtime,
        entry: props.entry,
        handler: props.handler ?? 'handler',
        bundling: {
          minify: true,
          sourceMap: true,
          target: 'es2023',
          // The ES module builds of the SDK and Powertools tree-shake; their CommonJS builds do not.
          mainFields: ['module', 'main'],
          // Bundled SDK: faster init than the runtime's copy (docs/benchmarks.md, "Decisions").
          bundleAwsSDK: true,
          ...props.bundling,
        },
      });
    } else {
      this.function = new lambda.Function(this, 'Function', {
        ...common,
        runtime,
        code: props.code!,
        handler: props.handler ?? 'index.handler',
      });
    }

    if (props.liveAliasEnabled ?? (props.provisionedConcurrentExecutions !== undefined || props.aliasName !== undefined)) {
      this.liveAlias = new lambda.Alias(this, 'LiveAlias', {
        aliasName: props.aliasName ?? 'live',
        version: this.function.currentVersion,
        provisionedConcurrentExecutions: props.provisionedConcurrentExecutions,
      });
    }
    this.invocationTarget = this.liveAlias ?? this.function;

    this.alarms = alarmSetFor(this, props.alarms);
    this.alarms.addLambdaAlarms(props.alarms ? stackRelativeName(this, 64, '') : 'Function', this.function, { deadLetterQueue: this.deadLetterQueue, ...props.alarmOptions });

    for (const [key, value] of Object.entries(props.tags ?? {})) {
      Tags.of(this).add(key, value);
    }
    this.acknowledgeChoices(props);
  }

  /** Network connections of the function (in a VPC only). */
  public get connections(): ec2.Connections {
    return this.function.connections;
  }

  /** Adds a statement to the function's customer-managed policy. */
  public addToRolePolicy(statement: iam.PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }

  /** Adds an environment variable. */
  public addEnvironment(key: string, value: string): void {
    new PropsValidator('EnhancedLambdaFunction', this).check(!RESERVED_ENV.test(key), 'environment key', key, 'not reserved by Lambda (AWS_*, _HANDLER, TZ, ...)');
    this.function.addEnvironment(key, value);
  }

  /** Lets `grantee` invoke the function through its `invocationTarget`. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.invocationTarget.grantInvoke(grantee);
  }

  private createDeadLetterQueue(profile: EnvironmentConfig): sqs.Queue {
    const queue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // Marks it a dead-letter queue (AWS Control Tower CT.SQS.PR.1). Not byQueue: its sources are services,
      // or a source queue that references it already (naming that queue here would be a cycle).
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
      removalPolicy: profile.removalPolicy,
    });
    acknowledge(queue, ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'],
      'This queue is the function\'s dead-letter queue (Lambda DeadLetterConfig); giving a DLQ a DLQ of its own would only move the same failed events. Its depth is alarmed on instead.');
    return queue;
  }

  /** Acknowledges only the findings that stem from a documented choice of the caller. */
  private acknowledgeChoices(props: EnhancedLambdaFunctionProps): void {
    const fn = this.function.node.defaultChild!;
    if (!props.vpc) {
      acknowledge(fn, [...complianceRuleIds('LambdaInsideVPC'), controlTowerRule('lambda_inside_vpc_check')],
        'No VPC was given: the function reaches only AWS APIs over TLS with IAM auth, and VPC placement is opt-in through the vpc prop (pass the Network construct\'s VPC in regulated workloads).');
    } else if (Stack.of(props.vpc) !== Stack.of(this)) {
      acknowledge(fn, [controlTowerRule('lambda_inside_vpc_check')],
        'The function is in the VPC of another stack: its subnet ids are Fn::ImportValue, which the offline cfn-guard template check ' +
        'cannot resolve. The Control Tower hook evaluates the resolved ids at deployment, where CT.LAMBDA.PR.3 passes.');
    }
    if (props.reservedConcurrentExecutions === undefined) {
      acknowledge(fn, ['HIPAA.Security-LambdaConcurrency', 'NIST.800.53.R5-LambdaConcurrency'],
        'Reserved concurrency is opt-in: reserving it subtracts from the account pool and fails deployment on accounts with a low concurrency quota. Throttles are alarmed on; set reservedConcurrentExecutions to cap.');
    }
    if (props.deadLetterQueueEnabled === false) {
      acknowledge(fn, ['HIPAA.Security-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ', 'Serverless-LambdaDLQ'],
        'The caller turned the dead-letter queue off (deadLetterQueueEnabled: false): the function is only invoked synchronously, where the caller sees failures directly.');
    }
    acknowledge(this.policy, ['AwsSolutions-IAM5[Resource::*]'],
      'Only actions without resource-level permissions use "*": X-Ray PutTraceSegments/PutTelemetryRecords, (in a VPC) the EC2 network-interface actions Lambda needs to attach to subnets, and (SecretStore rotation functions) secretsmanager:GetRandomPassword.');
  }
}

function defaultSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  return { subnetType: vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED };
}

function validate(construct: IConstruct, props: EnhancedLambdaFunctionProps): void {
  const v = new PropsValidator('EnhancedLambdaFunction', construct);
  v.check((props.entry === undefined) !== (props.code === undefined), 'entry/code', props.entry ?? (props.code ? 'code' : undefined),
    'exactly one of entry (bundled at synth) and code (prebuilt)');
  if (props.entry !== undefined) {
    v.check(/\.(ts|js|mjs|cjs|mts|cts)$/.test(props.entry), 'entry', props.entry, 'a .ts, .js, .mjs, .cjs, .mts or .cts file');
    v.check(existsSync(props.entry), 'entry', props.entry, 'an existing file');
  }
  if (props.securityGroups !== undefined) {
    v.check(props.vpc !== undefined && props.securityGroups.length > 0, 'securityGroups', `${props.securityGroups.length} group(s)`,
      'at least one group, given together with vpc');
  }
  v.range('memorySize', props.memorySize, 128, 10240);
  v.durationRange('timeout', props.timeout, 1, 900);
  v.atLeast('reservedConcurrentExecutions', props.reservedConcurrentExecutions, 0);
  v.range('reservedConcurrentExecutions', props.reservedConcurrentExecutions, 0, 100000);
  v.range('provisionedConcurrentExecutions', props.provisionedConcurrentExecutions, 1, 100000);
  if (props.provisionedConcurrentExecutions !== undefined && props.reservedConcurrentExecutions !== undefined) {
    v.check(props.provisionedConcurrentExecutions <= props.reservedConcurrentExecutions, 'provisionedConcurrentExecutions',
      props.provisionedConcurrentExecutions, `at most reservedConcurrentExecutions (${props.reservedConcurrentExecutions})`);
  }
  v.check(!(props.deadLetterQueueEnabled === false && props.deadLetterQueue !== undefined), 'deadLetterQueue', 'a queue',
    'omitted when deadLetterQueueEnabled is false');
  v.matches('serviceName', props.serviceName, /^[A-Za-z0-9_.-]{1,128}$/, '1-128 letters, digits, "_", "." or "-"');
  if (props.liveAliasEnabled === false) {
    v.check(props.provisionedConcurrentExecutions === undefined, 'provisionedConcurrentExecutions', props.provisionedConcurrentExecutions,
      'unset when liveAliasEnabled is false (provisioned concurrency sits on the live alias)');
    v.check(props.aliasName === undefined, 'aliasName', props.aliasName, 'unset when liveAliasEnabled is false');
  }
  v.matches('aliasName', props.aliasName, /^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/, '1-128 letters, digits, "-" or "_", not only digits');
  for (const key of Object.keys(props.environment ?? {})) {
    v.check(/^[a-zA-Z][a-zA-Z0-9_]*$/.test(key) && !RESERVED_ENV.test(key), 'environment key', key,
      'a letter followed by letters, digits or "_", not reserved by Lambda (AWS_*, _HANDLER, TZ, ...)');
  }
}
