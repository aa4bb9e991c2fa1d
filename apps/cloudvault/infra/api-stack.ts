import { CfnResource, Duration, Stack, StackProps, aws_apigateway as apigw, aws_cognito as cognito, aws_ec2 as ec2, aws_route53 as route53, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { handlerCode } from './handler-code';
import { HANDLER_PERMISSIONS, grantHandlerPermissions } from './handler-permissions';
import { CLOUDVAULT_METRICS_NAMESPACE } from './monitoring-stack';
import { ApiHandlerName, ROUTES } from './routes';
import { TENANT_SCOPED_HANDLERS, TenantAccess } from './tenant-access';
import { SecureRestApi, EnhancedLambdaFunction, WorkQueue, AlarmSet, SecureBucket, SecureTable, UserDirectory, CustomDomain } from '../../../src';

/** The public share route (no sign-in; checks share passwords). */
export const SHARE_OPEN_PATH = '/api/shares/{token}';
/** Its own method throttle, far below the stage's (requests per second, burst). */
export const SHARE_OPEN_THROTTLE = { rateLimit: 20, burstLimit: 40 } as const;

/** A custom domain name of the API (e.g. `api.example.com`) in a Route 53 public hosted zone. */
export interface CloudVaultApiDomainOptions {
  /** Host name of the API, e.g. `api.example.com`. */
  readonly domainName: string;
  /** ID of the public hosted zone that holds `domainName`. */
  readonly hostedZoneId: string;
  /** Name of the hosted zone, e.g. `example.com`. */
  readonly zoneName: string;
}

/**
 * Logical ids of the user pool, its web client and its groups from before the stack used
 * UserDirectory (construct ids `Users`, `Users/WebClient`, `AdminGroup`, `MemberGroup`): a new id
 * would make CloudFormation create a new, empty pool (and fail on the groups' names).
 */
export const USER_POOL_LOGICAL_IDS = {
  userPool: 'Users0A0EEA89',
  webClient: 'UsersWebClient8EE36D42',
  admin: 'AdminGroup',
  member: 'MemberGroup',
} as const;

/** Properties of the CloudVault API stack. */
export interface CloudVaultApiStackProps extends StackProps {
  /** The one alarm topic of the app. */
  readonly alarmTopic: sns.ITopic;
  /** ARN of the regional WAF web ACL that fronts the API. */
  readonly webAclArn: string;
  /** VPC the handlers run in. */
  readonly vpc: ec2.IVpc;
  /** The single table the handlers read and write. */
  readonly table: SecureTable;
  /** The files bucket (tenant objects, thumbnails, exports). */
  readonly files: SecureBucket;
  /** Queue of the notification worker (events stack). */
  readonly notificationQueue: WorkQueue;
  /** Queue of the backup export worker (events stack). */
  readonly backupExportQueue: WorkQueue;
  /**
   * Custom domain name of the API.
   * @default - none: clients use the execute-api URL
   */
  readonly apiDomain?: CloudVaultApiDomainOptions;
}

/** The events stack's queues an API function may send to, by the variable that names each. */
type ApiQueue = 'NOTIFICATIONS_QUEUE_URL' | 'BACKUP_EXPORTS_QUEUE_URL';

/** What one API function needs besides its table and bucket grants (HANDLER_PERMISSIONS): queue, size. */
interface ApiFunctionSpec {
  readonly queue?: ApiQueue;
  readonly memorySize?: number;
  readonly timeout?: Duration;
}

// Table and bucket grants per function: handler-permissions.ts (exactly what each handler calls).
const API_FUNCTIONS: Record<ApiHandlerName, ApiFunctionSpec> = {
  'health': { memorySize: 256, timeout: Duration.seconds(5) },
  'folders': {},
  'files': {},
  // scrypt password hashing (create) and checks (open) are CPU-bound: more memory, more CPU.
  'shares': { memorySize: 1024 },
  'share-open': { memorySize: 1024 },
  'analytics': {},
  'notifications': { queue: 'NOTIFICATIONS_QUEUE_URL' },
  'backup': { queue: 'BACKUP_EXPORTS_QUEUE_URL' },
};

/** `file-processor` -> `FileProcessor` (construct ids). */
export function pascalCase(name: string): string {
  return name.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

// Reported by the health route.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../../../package.json').version;

/** Environment of every CloudVault handler: Powertools service name and metrics namespace. */
export function handlerEnvironment(service: string): Record<string, string> {
  return { POWERTOOLS_SERVICE_NAME: service, POWERTOOLS_METRICS_NAMESPACE: CLOUDVAULT_METRICS_NAMESPACE, CLOUDVAULT_VERSION: VERSION };
}

/** Users and the REST API: changes with every feature. */
export class CloudVaultApiStack extends Stack {
  /** The users: pool, web client, groups, throttling alarms. */
  public readonly users: UserDirectory;
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;
  public readonly groups: cognito.UserPoolGroup[];
  public readonly api: SecureRestApi;
  /** The API's custom domain, when `apiDomain` was given. */
  public readonly domain?: CustomDomain;
  /** The API's functions by handler name (src/cloudvault/handlers/<name>.lambda.ts). */
  public readonly functions: Record<ApiHandlerName, EnhancedLambdaFunction>;
  /** Post-authentication trigger that writes the signed-in user's USER item. */
  public readonly userSync: EnhancedLambdaFunction;
  public readonly health: EnhancedLambdaFunction;
  public readonly folders: EnhancedLambdaFunction;
  public readonly alarms: AlarmSet;
  /** The role the API functions assume per tenant (session tag tenantId) for tenant data. */
  public readonly tenantAccess: TenantAccess;

  constructor(scope: Construct, id: string, props: CloudVaultApiStackProps) {
    super(scope, id, props);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });

    // Plus plan with full threat protection, 12+ character passwords, TOTP MFA (optional outside
    // prod, issue 5; required in prod), e-mail recovery, admin-created users only.
    this.users = new UserDirectory(this, 'Users', {
      // The handlers take the tenant only from this claim (custom:tenantId), set by an admin.
      immutableAttributes: [{ name: 'tenantId', minLength: 1, maxLength: 64 }],
      roles: [
        { name: 'admin', description: 'Tenant administrators', precedence: 0 },
        { name: 'member', description: 'Tenant members', precedence: 10 },
      ],
      // The pool was created case sensitive; Cognito cannot change that on an existing pool.
      signInCaseSensitive: true,
      // SRP sign-in only: no hosted-UI OAuth (no implicit flow, no placeholder callback). The client
      // writes only e-mail and name; custom:tenantId is immutable and set by admins.
      browserClient: {},
      alarms: this.alarms,
    });
    this.userPool = this.users.userPool;
    this.userPoolClient = this.users.browserClient!;
    this.groups = Object.values(this.users.groups);
    keepLogicalId(this.userPool, USER_POOL_LOGICAL_IDS.userPool);
    keepLogicalId(this.userPoolClient, USER_POOL_LOGICAL_IDS.webClient);
    keepLogicalId(this.users.groups.admin, USER_POOL_LOGICAL_IDS.admin);
    keepLogicalId(this.users.groups.member, USER_POOL_LOGICAL_IDS.member);
    // GenerateSecret replaces a client when its template value changes, even from absent to its
    // default false: left absent as before, so the web client keeps its id.
    (this.userPoolClient.node.defaultChild as cognito.CfnUserPoolClient).generateSecret = undefined;

    this.api = new SecureRestApi(this, 'Api', {
      authorizer: this.users.authorizer(),
      webAclArn: props.webAclArn,
      alarms: this.alarms,
    });
    // One function per handler of the route table; every route of ROUTES is wired, none by hand.
    const names = [...new Set(ROUTES.map((r) => r.handler))];
    this.functions = Object.fromEntries(names.map((name) => [name, this.apiFunction(name, props)])) as Record<ApiHandlerName, EnhancedLambdaFunction>;
    for (const route of ROUTES) {
      this.api.addRoute(route.name, {
        path: route.path,
        method: route.method,
        handler: this.functions[route.handler],
        authorizationExempt: route.publicReason !== undefined,
        authorizationExemptReason: route.publicReason,
      });
    }
    this.throttlePublicShareRoute();
    // Defence in depth behind the handlers' key checks: tenant data is read and written with a
    // session scoped to the caller's tenant (handlers/lib/tenant-credentials.ts).
    const scoped = TENANT_SCOPED_HANDLERS.map((name) => this.functions[name]);
    this.tenantAccess = new TenantAccess(this, 'TenantAccess', { table: props.table, files: props.files, assumedBy: scoped.map((fn) => fn.role) });
    for (const fn of scoped) {
      this.tenantAccess.grantAssume(fn);
      fn.addEnvironment('TENANT_ACCESS_ROLE_ARN', this.tenantAccess.role.roleArn);
    }
    // Keeps each user's USER item (e-mail for notifications, UserByEmail index) in step with
    // Cognito: admins create users there, and this runs after every sign-in.
    this.userSync = new EnhancedLambdaFunction(this, 'UserSync', {
      code: handlerCode('user-sync'),
      environment: { ...handlerEnvironment('user-sync'), TABLE_NAME: props.table.tableName },
      timeout: Duration.seconds(5),
      deadLetterQueueEnabled: false, // synchronous: Cognito waits for it during sign-in
      vpc: props.vpc,
      alarms: this.alarms,
    });
    grantHandlerPermissions(this.userSync, HANDLER_PERMISSIONS['user-sync'], props.table);
    this.userPool.addTrigger(cognito.UserPoolOperation.POST_AUTHENTICATION, this.userSync.invocationTarget);
    this.health = this.functions.health;
    this.folders = this.functions.folders;

    if (props.apiDomain) {
      this.domain = new CustomDomain(this, 'Domain', {
        domainName: props.apiDomain.domainName,
        hostedZone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: props.apiDomain.hostedZoneId, zoneName: props.apiDomain.zoneName }),
        alarms: this.alarms,
      });
      this.domain.addRestApi('Api', this.api.api, { stage: this.api.api.deploymentStage });
    }
  }

  /**
   * The public share route gets a throttle of its own (it verifies passwords with scrypt and needs
   * no sign-in), so guessing there cannot use up the stage's shared rate for everyone else. The
   * method setting copies the stage-wide logging and metrics settings and overrides the throttle.
   */
  private throttlePublicShareRoute(): void {
    const stage = this.api.api.deploymentStage.node.defaultChild as apigw.CfnStage;
    // The stage renders its settings lazily; they are fixed by now (deployOptions), so resolve and extend them.
    const settings = (Stack.of(this).resolve(stage.methodSettings) ?? []) as apigw.CfnStage.MethodSettingProperty[];
    const all = settings.find((m) => m.resourcePath === '/*' && m.httpMethod === '*') ?? {};
    stage.methodSettings = [...settings, {
      ...all,
      resourcePath: `/${SHARE_OPEN_PATH.replace(/\//g, '~1')}`, // API Gateway escapes "/" in method setting paths
      httpMethod: 'GET',
      throttlingRateLimit: SHARE_OPEN_THROTTLE.rateLimit,
      throttlingBurstLimit: SHARE_OPEN_THROTTLE.burstLimit,
    }];
  }

  /** The function of one API handler with the memory, environment and least-privilege grants it needs. */
  private apiFunction(name: ApiHandlerName, props: CloudVaultApiStackProps): EnhancedLambdaFunction {
    const spec = API_FUNCTIONS[name];
    const permissions = HANDLER_PERMISSIONS[name];
    const queue = spec.queue && { NOTIFICATIONS_QUEUE_URL: props.notificationQueue, BACKUP_EXPORTS_QUEUE_URL: props.backupExportQueue }[spec.queue];
    const usesTable = (permissions.table ?? []).length > 0 || (permissions.indexes ?? []).length > 0;
    const fn = new EnhancedLambdaFunction(this, pascalCase(name), {
      code: handlerCode(name),
      environment: {
        ...handlerEnvironment(name),
        ...(usesTable ? { TABLE_NAME: props.table.tableName } : {}),
        ...(permissions.files ? { FILES_BUCKET: props.files.bucket.bucketName } : {}),
        ...(spec.queue && queue ? { [spec.queue]: queue.queue.queueUrl } : {}),
      },
      memorySize: spec.memorySize ?? 512,
      timeout: spec.timeout ?? Duration.seconds(10),
      // Synchronous API calls: the caller gets the error, there is nothing to redrive.
      deadLetterQueueEnabled: false,
      vpc: props.vpc,
      alarms: this.alarms,
    });
    grantHandlerPermissions(fn, permissions, props.table, props.files);
    queue?.grantSendMessages(fn);
    return fn;
  }
}

/** Pins the CloudFormation logical id of `construct`'s resource (see USER_POOL_LOGICAL_IDS). */
function keepLogicalId(construct: { node: { defaultChild?: unknown } }, logicalId: string): void {
  (construct.node.defaultChild as CfnResource).overrideLogicalId(logicalId);
}
