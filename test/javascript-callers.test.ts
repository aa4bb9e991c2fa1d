/**
 * Callers from plain JavaScript (or through `any`) have no type checker: every public static
 * factory and constructor checks its required arguments at run time and answers with the
 * library's message (`<Subject>: <argument> must be <allowed>, got <value>`), not a TypeError
 * from deeper in. One row per required argument; arguments before the missing one get the
 * right kind (`{}` stands in for objects: the checks run before anything uses them).
 */
import { App, Stack } from 'aws-cdk-lib';
import {
  AlarmSet, ApiAuthorization, ApiRoute, BucketEventRule, CostGuard, CustomDomain, DeliveryPipeline, EnhancedLambdaFunction,
  EnvironmentConfig, FailoverRoute, ReplicatedBucket, RequiredTags, SafeDeployment, ScheduledJob, SecureRestApi,
  SecureTable, StrictValidationPlugin, UserDirectory, WebSocketApi, WorkQueue,
} from '../src';

const js = undefined as any;
const obj = {} as any;
const stack = () => new Stack(new App(), 'S');
type Row = [string, () => unknown, string];

const tagProps = { environment: 'dev', project: 'p', owner: 'o', costCenter: 'c' };

describe('static factories and classes that are no construct', () => {
  test.each<Row>([
    ['ApiAuthorization.none(reason)', () => ApiAuthorization.none(js),
      'ApiAuthorization.none: reason must be a sentence (20+ characters) saying why the API needs no authorizer, got undefined'],
    ['ApiAuthorization.cognito(userPools)', () => ApiAuthorization.cognito(js),
      'ApiAuthorization.cognito: userPools must be an array of at least one user pool, got undefined'],
    ['ApiAuthorization.lambdaToken(fn)', () => ApiAuthorization.lambdaToken(js),
      'ApiAuthorization.lambdaToken: fn must be the authorizer function (a lambda.IFunction), got undefined'],
    ['ApiAuthorization.lambdaToken(fn, null)', () => ApiAuthorization.lambdaToken(obj, null as any),
      'ApiAuthorization.lambdaToken: options must be LambdaTokenAuthorizationOptions (an object) or omitted, got null'],
    ['EnvironmentConfig.fromName(name)', () => EnvironmentConfig.fromName(js),
      'EnvironmentConfig.fromName: name must be one of dev, staging, prod, got undefined'],
    ['EnvironmentConfig.of(scope)', () => EnvironmentConfig.of(js), 'EnvironmentConfig.of: scope must be a construct, got undefined'],
    ['new EnvironmentConfig(props)', () => new EnvironmentConfig(js),
      'EnvironmentConfig: props must be EnvironmentConfigProps (an object with environment), got undefined'],
    ['new EnvironmentConfig({ environment })', () => new EnvironmentConfig(obj),
      'EnvironmentConfig: environment must be one of dev, staging, prod, got undefined'],
    ['RequiredTags.applyTo(scope)', () => RequiredTags.applyTo(js, tagProps), 'RequiredTags.applyTo: scope must be a construct, got undefined'],
    ['RequiredTags.applyTo(scope, props)', () => RequiredTags.applyTo(stack(), js),
      'RequiredTags.applyTo: props must be RequiredTagsProps (an object with environment, project, owner, costCenter), got undefined'],
    ['new RequiredTags(props)', () => new RequiredTags(js),
      'RequiredTags: props must be RequiredTagsProps (an object with environment, project, owner, costCenter), got undefined'],
    ['new RequiredTags({ owner })', () => new RequiredTags({ ...tagProps, owner: js }), 'RequiredTags "tags": Owner must be'],
    ['AlarmSet.ofStack(scope)', () => AlarmSet.ofStack(js), 'AlarmSet.ofStack: scope must be a construct, got undefined'],
    ['UserDirectory.fromUserPool(userPool)', () => UserDirectory.fromUserPool(stack(), 'X', js, ['c']),
      'UserDirectory.fromUserPool "X": userPool must be a cognito.IUserPool, got undefined'],
    ['UserDirectory.fromUserPool(clientIds)', () => UserDirectory.fromUserPool(stack(), 'X', obj, js),
      'UserDirectory.fromUserPool "X": clientIds must be an array of app client ids, got undefined'],
    ['WebSocketApi.authorizerEnvironmentFor(userDirectory)', () => WebSocketApi.authorizerEnvironmentFor(js),
      'WebSocketApi.authorizerEnvironmentFor: userDirectory must be an IUserDirectory (a UserDirectory), got undefined'],
    ['new StrictValidationPlugin(plugin)', () => new StrictValidationPlugin(js),
      'StrictValidationPlugin: plugin must be a policy-validation plugin (an object with validate()), got undefined'],
  ])('%s', (_name, call, message) => {
    expect(call).toThrow(message);
  });

  test('the predicates answer false for a missing value instead of throwing', () => {
    expect(RequiredTags.isValidTagValue(js)).toBe(false);
    expect(AlarmSet.isAlarmSet(js)).toBe(false);
  });
});

const props = (construct: string, type: string) => [`new ${construct}(scope, id)`, `${construct} "X" (S/X): props must be ${type} (an object), got undefined`] as const;
const constructRows = (rows: Array<[string, (scope: Stack) => unknown, string]>): Row[] =>
  rows.map(([name, make, message]) => [name, () => make(stack()), message]);

describe('constructors of constructs', () => {
  test.each<Row>(constructRows([
    [props('EnhancedLambdaFunction', 'EnhancedLambdaFunctionProps')[0], (s) => new EnhancedLambdaFunction(s, 'X', js), props('EnhancedLambdaFunction', 'EnhancedLambdaFunctionProps')[1]],
    [props('DeliveryPipeline', 'DeliveryPipelineProps')[0], (s) => new DeliveryPipeline(s, 'X', js), props('DeliveryPipeline', 'DeliveryPipelineProps')[1]],
    ['DeliveryPipeline repository', (s) => new DeliveryPipeline(s, 'X', { connectionArn: 'arn' } as any),
      'DeliveryPipeline "X" (S/X): repository must be the repository as owner/name, got undefined'],
    ['DeliveryPipeline connectionArn', (s) => new DeliveryPipeline(s, 'X', { repository: 'o/r' } as any),
      'DeliveryPipeline "X" (S/X): connectionArn must be a CodeStar connection ARN, got undefined'],
    [props('SafeDeployment', 'SafeDeploymentProps')[0], (s) => new SafeDeployment(s, 'X', js), props('SafeDeployment', 'SafeDeploymentProps')[1]],
    ['SafeDeployment handler', (s) => new SafeDeployment(s, 'X', obj), 'SafeDeployment "X" (S/X): handler must be an IHandlerFunction (EnhancedLambdaFunction or HandlerFunction.fromFunction), got undefined'],
    [props('ApiRoute', 'ApiRouteProps')[0], (s) => new ApiRoute(s, 'X', js), props('ApiRoute', 'ApiRouteProps')[1]],
    ['ApiRoute api', (s) => new ApiRoute(s, 'X', { path: '/a', method: 'GET', handler: obj } as any),
      'ApiRoute "X" (S/X): api must be an ISecureRestApi (a SecureRestApi), got undefined'],
    ['ApiRoute path', (s) => new ApiRoute(s, 'X', { api: obj, method: 'GET', handler: obj } as any),
      'ApiRoute "X" (S/X): path must be a resource path such as /files/{id}, got undefined'],
    ['ApiRoute method', (s) => new ApiRoute(s, 'X', { api: obj, path: '/a', handler: obj } as any),
      'ApiRoute "X" (S/X): method must be an HTTP method such as GET, got undefined'],
    ['ApiRoute handler', (s) => new ApiRoute(s, 'X', { api: obj, path: '/a', method: 'GET' } as any),
      'ApiRoute "X" (S/X): handler must be an IHandlerFunction (EnhancedLambdaFunction or HandlerFunction.fromFunction), got undefined'],
    [props('SecureRestApi', 'SecureRestApiProps')[0], (s) => new SecureRestApi(s, 'X', js), props('SecureRestApi', 'SecureRestApiProps')[1]],
    ['SecureRestApi authorizer', (s) => new SecureRestApi(s, 'X', obj),
      'SecureRestApi "X" (S/X): authorizer must be an ApiAuthorization (cognito(), lambdaToken() or none(reason)), got undefined'],
    [props('WorkQueue', 'WorkQueueProps')[0], (s) => new WorkQueue(s, 'X', js), props('WorkQueue', 'WorkQueueProps')[1]],
    ['WorkQueue handler', (s) => new WorkQueue(s, 'X', obj), 'WorkQueue "X" (S/X): handler must be an IHandlerFunction (EnhancedLambdaFunction or HandlerFunction.fromFunction), got undefined'],
    [props('BucketEventRule', 'BucketEventRuleProps')[0], (s) => new BucketEventRule(s, 'X', js), props('BucketEventRule', 'BucketEventRuleProps')[1]],
    ['BucketEventRule bucket', (s) => new BucketEventRule(s, 'X', { handler: obj } as any), 'BucketEventRule "X" (S/X): bucket must be an s3.IBucket, got undefined'],
    ['BucketEventRule handler', (s) => new BucketEventRule(s, 'X', { bucket: obj } as any),
      'BucketEventRule "X" (S/X): handler must be an IHandlerFunction (EnhancedLambdaFunction or HandlerFunction.fromFunction), got undefined'],
    [props('ScheduledJob', 'ScheduledJobProps')[0], (s) => new ScheduledJob(s, 'X', js), props('ScheduledJob', 'ScheduledJobProps')[1]],
    ['ScheduledJob handler', (s) => new ScheduledJob(s, 'X', { schedules: [] } as any),
      'ScheduledJob "X" (S/X): handler must be an IHandlerFunction (EnhancedLambdaFunction or HandlerFunction.fromFunction), got undefined'],
    ['ScheduledJob schedules', (s) => new ScheduledJob(s, 'X', { handler: obj } as any),
      'ScheduledJob "X" (S/X): schedules must be an array of ScheduleDefinition, got undefined'],
    ['ScheduledJob schedules[i]', (s) => new ScheduledJob(s, 'X', { handler: obj, schedules: [null] } as any),
      'ScheduledJob "X" (S/X): schedules[0] must be a ScheduleDefinition (an object with name and cron or rate), got null'],
    ['ScheduledJob schedules[i].name', (s) => new ScheduledJob(s, 'X', { handler: obj, schedules: [{ cron: '0 1 * * ? *' }] } as any),
      'ScheduledJob "X" (S/X): schedules[0].name must be a schedule name, got undefined'],
    [props('SecureTable', 'SecureTableProps')[0], (s) => new SecureTable(s, 'X', js), props('SecureTable', 'SecureTableProps')[1]],
    ['SecureTable partitionKey', (s) => new SecureTable(s, 'X', obj), 'SecureTable "X" (S/X): partitionKey must be a dynamodb.Attribute ({ name, type }), got undefined'],
    [props('ReplicatedBucket', 'ReplicatedBucketProps')[0], (s) => new ReplicatedBucket(s, 'X', js), props('ReplicatedBucket', 'ReplicatedBucketProps')[1]],
    ['ReplicatedBucket destinationBucketArn', (s) => new ReplicatedBucket(s, 'X', { destinationKeyArn: 'k', destinationRegion: 'r' } as any),
      'ReplicatedBucket "X" (S/X): destinationBucketArn must be an S3 bucket ARN, got undefined'],
    ['ReplicatedBucket destinationKeyArn', (s) => new ReplicatedBucket(s, 'X', { destinationBucketArn: 'b', destinationRegion: 'r' } as any),
      'ReplicatedBucket "X" (S/X): destinationKeyArn must be a KMS key ARN, got undefined'],
    ['ReplicatedBucket destinationRegion', (s) => new ReplicatedBucket(s, 'X', { destinationBucketArn: 'b', destinationKeyArn: 'k' } as any),
      'ReplicatedBucket "X" (S/X): destinationRegion must be an AWS region, got undefined'],
    [props('FailoverRoute', 'FailoverRouteProps')[0], (s) => new FailoverRoute(s, 'X', js), props('FailoverRoute', 'FailoverRouteProps')[1]],
    ['FailoverRoute hostedZone', (s) => new FailoverRoute(s, 'X', { ...failover(), hostedZone: js }),
      'FailoverRoute "X" (S/X): hostedZone must be a route53.IHostedZone, got undefined'],
    ['FailoverRoute recordName', (s) => new FailoverRoute(s, 'X', { ...failover(), recordName: js }),
      'FailoverRoute "X" (S/X): recordName must be a DNS record name, got undefined'],
    ['FailoverRoute primary', (s) => new FailoverRoute(s, 'X', { ...failover(), primary: js }),
      'FailoverRoute "X" (S/X): primary must be a FailoverEndpoint (an object with region and domainName), got undefined'],
    ['FailoverRoute primary.region', (s) => new FailoverRoute(s, 'X', { ...failover(), primary: { domainName: 'a.example.com' } as any }),
      'FailoverRoute "X" (S/X): primary.region must be an AWS region, got undefined'],
    ['FailoverRoute primary.domainName', (s) => new FailoverRoute(s, 'X', { ...failover(), primary: { region: 'eu-west-1' } as any }),
      'FailoverRoute "X" (S/X): primary.domainName must be a domain name, got undefined'],
    ['FailoverRoute secondary', (s) => new FailoverRoute(s, 'X', { ...failover(), secondary: js }),
      'FailoverRoute "X" (S/X): secondary must be a FailoverEndpoint (an object with region and domainName), got undefined'],
    ['FailoverRoute secondary.region', (s) => new FailoverRoute(s, 'X', { ...failover(), secondary: { domainName: 'b.example.com' } as any }),
      'FailoverRoute "X" (S/X): secondary.region must be an AWS region, got undefined'],
    ['FailoverRoute secondary.domainName', (s) => new FailoverRoute(s, 'X', { ...failover(), secondary: { region: 'eu-central-1' } as any }),
      'FailoverRoute "X" (S/X): secondary.domainName must be a domain name, got undefined'],
    [props('CustomDomain', 'CustomDomainProps')[0], (s) => new CustomDomain(s, 'X', js), props('CustomDomain', 'CustomDomainProps')[1]],
    ['CustomDomain domainName', (s) => new CustomDomain(s, 'X', { hostedZone: obj } as any),
      'CustomDomain "X" (S/X): domainName must be a host name such as api.example.com, got undefined'],
    ['CustomDomain hostedZone', (s) => new CustomDomain(s, 'X', { domainName: 'api.example.com' } as any),
      'CustomDomain "X" (S/X): hostedZone must be a route53.IHostedZone, got undefined'],
    [props('WebSocketApi', 'WebSocketApiProps')[0], (s) => new WebSocketApi(s, 'X', js), props('WebSocketApi', 'WebSocketApiProps')[1]],
    ['WebSocketApi userDirectory', (s) => new WebSocketApi(s, 'X', obj), 'WebSocketApi "X" (S/X): userDirectory must be an IUserDirectory (a UserDirectory), got undefined'],
    ['WebSocketApi authorizerFunction', (s) => new WebSocketApi(s, 'X', { userDirectory: obj } as any),
      'WebSocketApi "X" (S/X): authorizerFunction must be a lambda.IFunction (an EnhancedLambdaFunction\'s invocationTarget), got undefined'],
    ['WebSocketApi connectHandler', (s) => new WebSocketApi(s, 'X', { userDirectory: obj, authorizerFunction: obj } as any),
      'WebSocketApi "X" (S/X): connectHandler must be a lambda.IFunction (an EnhancedLambdaFunction\'s invocationTarget), got undefined'],
    [props('CostGuard', 'CostGuardProps')[0], (s) => new CostGuard(s, 'X', js), props('CostGuard', 'CostGuardProps')[1]],
    ['CostGuard monthlyLimit', (s) => new CostGuard(s, 'X', obj), 'CostGuard "X" (S/X): monthlyLimit must be a number (the monthly budget, in currency), got undefined'],
  ]))('%s', (_name, call, message) => {
    expect(call).toThrow(message);
  });
});

function failover() {
  return {
    hostedZone: obj,
    recordName: 'api',
    primary: { region: 'eu-west-1', domainName: 'a.example.com' },
    secondary: { region: 'eu-central-1', domainName: 'b.example.com' },
  };
}
