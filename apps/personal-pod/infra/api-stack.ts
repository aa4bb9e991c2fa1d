import * as path from 'path';
import { Duration, Stack, StackProps, aws_ec2 as ec2, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { APP_DB_USER, ApiHandlerName, DATABASE_NAME, ROUTES, SEARCH_INDEX } from './routes';
import {
  AlarmSet, BucketEventRule, BucketEventType, Database, DATABASE_PROXY_PORT, EnhancedLambdaFunction, SearchDomain, SecureBucket, SecureRestApi,
  UserDirectory, WebSocketApi, WorkQueue,
} from '../../../src';
import { bundledHandlerCode } from '../../kit/infra/handler-code';

const APP_DIR = path.join(__dirname, '..');

/** Namespace of the handlers' Powertools metrics. */
export const METRICS_NAMESPACE = 'PersonalPod';

/** Properties of the API stack. */
export interface PersonalPodApiStackProps extends StackProps {
  readonly vpc: ec2.IVpc;
  readonly alarmTopic: sns.ITopic;
  readonly webAclArn: string;
  readonly users: UserDirectory;
  readonly database: Database;
  readonly search: SearchDomain;
  /** The files bucket (EventBridge notifications on). */
  readonly files: SecureBucket;
  /** Security group the stores let in (data stack). */
  readonly clients: ec2.ISecurityGroup;
}

/**
 * The code: the REST API (entries, categories, tags, attachments, search), the WebSocket API
 * (real-time sync), the background jobs topic with the search indexing queue behind it and its
 * consumer, the attachment processor on uploads, and the migration function. Changes with every
 * feature.
 */
export class PersonalPodApiStack extends Stack {
  public readonly api: SecureRestApi;
  public readonly realtime: WebSocketApi;
  public readonly indexQueue: WorkQueue;
  public readonly routeHandlers: Record<ApiHandlerName, EnhancedLambdaFunction>;
  public readonly indexer: EnhancedLambdaFunction;
  public readonly attachmentProcessor: EnhancedLambdaFunction;
  public readonly uploads: BucketEventRule;
  public readonly connections: EnhancedLambdaFunction;
  public readonly authorizer: EnhancedLambdaFunction;
  public readonly migrate: EnhancedLambdaFunction;
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: PersonalPodApiStackProps) {
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
    const search = { SEARCH_ENDPOINT: `https://${props.search.domainEndpoint}`, SEARCH_INDEX };
    type FnOptions = { vpc?: boolean; timeout?: Duration; memorySize?: number; deadLetterQueue?: boolean };
    const fn = (name: string, environment: Record<string, string>, options: FnOptions = {}) =>
      new EnhancedLambdaFunction(this, name.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(''), {
        code: bundledHandlerCode(APP_DIR, name),
        environment: { POWERTOOLS_SERVICE_NAME: name, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE, ...environment },
        memorySize: options.memorySize ?? 512,
        timeout: options.timeout ?? Duration.seconds(10),
        // Synchronous callers (API Gateway, an operator) get the error; the queue has its own DLQ.
        deadLetterQueueEnabled: options.deadLetterQueue ?? false,
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
      // The connections function keeps connections in Postgres (lib/realtime.ts): no DynamoDB table.
      createConnectionTable: false,
      alarms: this.alarms,
    });

    // Background jobs: entry changes and processed attachments are published as notifications on
    // the index queue's fan-out topic (SNS -> SQS); the indexer reads the entry as committed and
    // writes (or deletes) its search document. More subscribers can join the topic.
    this.indexer = fn('indexer', { ...database(APP_DB_USER), ...search }, { timeout: Duration.seconds(30) });
    this.indexQueue = new WorkQueue(this, 'IndexQueue', { handler: this.indexer, batchSize: 10, fanOutTopic: true });
    const notifications = { NOTIFICATIONS_TOPIC_ARN: this.indexQueue.topic!.topicArn };
    const files = { FILES_BUCKET: props.files.bucket.bucketName };

    this.routeHandlers = {
      entries: fn('entries', { ...database(APP_DB_USER), WS_CALLBACK_URL: this.realtime.callbackUrl, ...notifications }),
      categories: fn('categories', database(APP_DB_USER)),
      tags: fn('tags', database(APP_DB_USER)),
      attachments: fn('attachments', { ...database(APP_DB_USER), ...files }),
      search: fn('search', search),
    };

    // Uploads: verified (size, type by magic bytes), thumbnailed, then AVAILABLE or quarantined.
    const processorEnvironment = { ...database(APP_DB_USER), ...files, ...notifications, WS_CALLBACK_URL: this.realtime.callbackUrl };
    this.attachmentProcessor = fn('attachment-processor', processorEnvironment, {
      memorySize: 2048, // sharp decodes images in memory; more memory also means more CPU
      timeout: Duration.minutes(1),
      deadLetterQueue: true, // invoked asynchronously by EventBridge
    });
    this.uploads = new BucketEventRule(this, 'Uploads', {
      bucket: props.files.bucket,
      handler: this.attachmentProcessor,
      prefix: 'attachments/',
      eventTypes: [BucketEventType.OBJECT_CREATED],
      alarms: this.alarms,
    });
    this.migrate = fn('migrate', database(db.adminUsername), { timeout: Duration.minutes(5) });

    const { entries, categories, tags, attachments } = this.routeHandlers;
    for (const f of [entries, categories, tags, attachments, this.connections, this.indexer, this.attachmentProcessor]) {
      db.grantConnect(f, APP_DB_USER);
    }
    db.grantConnect(this.migrate, db.adminUsername);
    // The search functions reach the entries index only (not the domain's other indexes or its
    // cluster APIs); the grants acknowledge their own <index>/* wildcard.
    props.search.grantReadWriteIndex(this.indexer, SEARCH_INDEX);
    props.search.grantReadIndex(this.routeHandlers.search, SEARCH_INDEX);
    this.indexQueue.grantPublish(this.routeHandlers.entries);
    this.indexQueue.grantPublish(this.attachmentProcessor);
    this.realtime.grantManageConnections(this.routeHandlers.entries);
    this.realtime.grantManageConnections(this.attachmentProcessor);
    // The attachments function signs upload and download URLs (the signer's rights are the URL's) and deletes.
    props.files.grantPut(attachments, 'attachments/*');
    props.files.grantRead(attachments, 'attachments/*');
    props.files.grantRead(attachments, 'thumbnails/*');
    for (const prefix of ['attachments/*', 'thumbnails/*', 'quarantine/*']) props.files.grantDelete(attachments, prefix);
    props.files.grantRead(this.attachmentProcessor, 'attachments/*');
    props.files.grantDelete(this.attachmentProcessor, 'attachments/*');
    props.files.grantPut(this.attachmentProcessor, 'thumbnails/*');
    props.files.grantPut(this.attachmentProcessor, 'quarantine/*');
    this.realtime.grantManageConnections(this.connections);

    this.api = new SecureRestApi(this, 'Api', { authorizer: props.users.authorizer(), webAclArn: props.webAclArn, alarms: this.alarms });
    for (const route of ROUTES) {
      this.api.addRoute(route.name, { path: route.path, method: route.method, handler: this.routeHandlers[route.handler] });
    }
  }

  /** Every function of the stack. */
  public get functions(): EnhancedLambdaFunction[] {
    return [...Object.values(this.routeHandlers), this.indexer, this.attachmentProcessor, this.connections, this.authorizer, this.migrate];
  }
}
