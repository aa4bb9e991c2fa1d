import * as path from 'path';
import { Duration, Stack, StackProps, aws_ec2 as ec2, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { APP_DB_USER, DATABASE_NAME, ROUTES } from './routes';
import {
  AlarmSet, Cache, CACHE_PORT, Database, DATABASE_PROXY_PORT, EnhancedLambdaFunction, SecureRestApi, UserDirectory, WebSocketApi,
} from '../../../src';
import { bundledHandlerCode } from '../../kit/infra/handler-code';

const APP_DIR = path.join(__dirname, '..');

/** Namespace of the handlers' Powertools metrics. */
export const METRICS_NAMESPACE = 'CommandCenter';

/** Properties of the API stack. */
export interface CommandCenterApiStackProps extends StackProps {
  readonly vpc: ec2.IVpc;
  readonly alarmTopic: sns.ITopic;
  readonly webAclArn: string;
  readonly users: UserDirectory;
  readonly database: Database;
  readonly cache: Cache;
  /** Security group the stores let in (data stack). */
  readonly clients: ec2.ISecurityGroup;
}

/**
 * The code: the REST API (commands), the WebSocket API (connections and fan-out) and the
 * migration function. Changes with every feature.
 */
export class CommandCenterApiStack extends Stack {
  public readonly api: SecureRestApi;
  public readonly realtime: WebSocketApi;
  public readonly commands: EnhancedLambdaFunction;
  public readonly connections: EnhancedLambdaFunction;
  public readonly authorizer: EnhancedLambdaFunction;
  public readonly migrate: EnhancedLambdaFunction;
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: CommandCenterApiStackProps) {
    super(scope, id, props);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });
    const db = props.database;
    const database = (user: string) => ({
      DB_HOST: db.proxyEndpoint,
      DB_PORT: String(DATABASE_PROXY_PORT),
      DB_NAME: DATABASE_NAME,
      DB_USER: user,
      DB_IAM_AUTH: 'true',
    });
    const cache = {
      CACHE_HOST: props.cache.endpointAddress,
      CACHE_PORT: String(CACHE_PORT),
      CACHE_NAME: props.cache.cacheName,
      CACHE_USER: props.cache.user.userName,
      CACHE_IAM_AUTH: 'true',
    };
    const fn = (name: string, environment: Record<string, string>, options: { vpc?: boolean; timeout?: Duration } = {}) =>
      new EnhancedLambdaFunction(this, name.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(''), {
        code: bundledHandlerCode(APP_DIR, name),
        environment: { POWERTOOLS_SERVICE_NAME: name, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE, ...environment },
        memorySize: 512,
        timeout: options.timeout ?? Duration.seconds(10),
        // Synchronous callers (API Gateway, an operator) get the error: nothing to redrive.
        deadLetterQueueEnabled: false,
        ...(options.vpc === false ? {} : { vpc: props.vpc, securityGroups: [props.clients] }),
        alarms: this.alarms,
      });

    // $connect authorizer: verifies the Cognito ID token against the pool's JWKS (needs no VPC).
    this.authorizer = fn('ws-authorizer', WebSocketApi.authorizerEnvironmentFor(props.users), { vpc: false });
    this.connections = fn('connections', database(APP_DB_USER));
    this.realtime = new WebSocketApi(this, 'Realtime', {
      userDirectory: props.users,
      authorizerFunction: this.authorizer.invocationTarget,
      connectHandler: this.connections.invocationTarget,
      disconnectHandler: this.connections.invocationTarget,
      defaultHandler: this.connections.invocationTarget,
      // The connections function keeps connections in Postgres (db.grantConnect below): no DynamoDB table.
      createConnectionTable: false,
      alarms: this.alarms,
    });
    this.commands = fn('commands', { ...database(APP_DB_USER), ...cache, WS_CALLBACK_URL: this.realtime.callbackUrl });
    this.migrate = fn('migrate', database(db.adminUsername), { timeout: Duration.minutes(5) });

    db.grantConnect(this.commands, APP_DB_USER);
    db.grantConnect(this.connections, APP_DB_USER);
    db.grantConnect(this.migrate, db.adminUsername);
    props.cache.grantConnect(this.commands);
    this.realtime.grantManageConnections(this.commands);
    this.realtime.grantManageConnections(this.connections);

    this.api = new SecureRestApi(this, 'Api', { authorizer: props.users.authorizer(), webAclArn: props.webAclArn, alarms: this.alarms });
    for (const route of ROUTES) {
      this.api.addRoute(route.name, { path: route.path, method: route.method, handler: this.commands });
    }
  }

  /** Every function of the stack. */
  public get functions(): EnhancedLambdaFunction[] {
    return [this.commands, this.connections, this.authorizer, this.migrate];
  }
}
