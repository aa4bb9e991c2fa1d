import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Database, EnvironmentConfig, Network } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegDatabase');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run; dev allows scale to zero

// Small and cheap: 2 AZs, isolated subnets only, no interface endpoints; the cluster pauses when idle.
const network = new Network(stack, 'Network', { maxAzs: 2, natGateways: 0, interfaceEndpoints: [] });
const db = new Database(stack, 'Db', {
  vpc: network.vpc,
  databaseName: 'app',
  minCapacity: 0,
  maxCapacity: 2,
  dataApi: true,
});

const integ = new IntegTest(app, 'DatabaseIntegTest', { testCases: [stack] });
const DBClusterIdentifier = db.clusterIdentifier;

// Encrypted, IAM authentication on, the postgresql log exported, the Data API on, the master
// password managed by RDS; dev turns deletion protection off so the run can tear it down.
integ.assertions.awsApiCall('RDS', 'describeDBClusters', { DBClusterIdentifier })
  .expect(ExpectedResult.objectLike({
    DBClusters: [Match.objectLike({
      Status: 'available',
      Engine: 'aurora-postgresql',
      StorageEncrypted: true,
      KmsKeyId: Match.stringLikeRegexp('^arn:aws[a-z-]*:kms:'),
      IAMDatabaseAuthenticationEnabled: true,
      EnabledCloudwatchLogsExports: ['postgresql'],
      HttpEndpointEnabled: true,
      DeletionProtection: false,
      MasterUsername: 'dbadmin',
      MasterUserSecret: Match.objectLike({ KmsKeyId: Match.stringLikeRegexp('^arn:aws[a-z-]*:kms:') }),
      ServerlessV2ScalingConfiguration: Match.objectLike({ MinCapacity: 0, MaxCapacity: 2 }),
    })],
  }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10) });

// The writer is private and sends enhanced monitoring every 60 seconds.
integ.assertions.awsApiCall('RDS', 'describeDBInstances', { Filters: [{ Name: 'db-cluster-id', Values: [DBClusterIdentifier] }] })
  .expect(ExpectedResult.objectLike({
    DBInstances: [Match.objectLike({ DBInstanceClass: 'db.serverless', PubliclyAccessible: false, MonitoringInterval: 60, PerformanceInsightsEnabled: true })],
  }));

// The proxy requires TLS and authenticates by IAM end to end (no secret attached).
integ.assertions.awsApiCall('RDS', 'describeDBProxies', { DBProxyName: db.proxy.dbProxyName })
  .expect(ExpectedResult.objectLike({
    DBProxies: [Match.objectLike({ Status: 'available', RequireTLS: true, EngineFamily: 'POSTGRESQL', DefaultAuthScheme: 'IAM_AUTH' })],
  }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10) });

// The postgresql log goes to our pre-created group, encrypted with the customer-managed key.
integ.assertions.awsApiCall('CloudWatchLogs', 'describeLogGroups', { logGroupNamePrefix: db.logGroup.logGroupName })
  .expect(ExpectedResult.objectLike({
    logGroups: [Match.objectLike({ logGroupName: `/aws/rds/cluster/${DBClusterIdentifier}/postgresql`, kmsKeyId: Match.stringLikeRegexp('^arn:aws[a-z-]*:kms:') })],
  }));

// SQL runs through the Data API with the RDS-managed secret (the paused cluster resumes for it).
const secretArn = db.masterUserSecretArn;
const sql = integ.assertions.awsApiCall('RDSData', 'executeStatement', {
  resourceArn: db.clusterArn,
  secretArn,
  database: 'app',
  sql: 'select 1 as one',
});
sql.provider.addToRolePolicy({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [secretArn] });
sql.provider.addToRolePolicy({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [db.encryptionKey.keyArn] });
sql.expect(ExpectedResult.objectLike({ records: [[{ longValue: 1 }]] }))
  .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(30) });

// The database's alarms exist.
integ.assertions.awsApiCall('CloudWatch', 'describeAlarms', { AlarmNamePrefix: `${stack.stackName}-${db.alarms.alarmSetName}-` })
  .expect(ExpectedResult.objectLike({
    MetricAlarms: [
      Match.objectLike({ AlarmName: Match.stringLikeRegexp('AcuUtilization$') }),
      Match.objectLike({ AlarmName: Match.stringLikeRegexp('Connections$') }),
      Match.objectLike({ AlarmName: Match.stringLikeRegexp('Cpu$') }),
      Match.objectLike({ AlarmName: Match.stringLikeRegexp('FreeableMemory$') }),
    ],
  }));

app.synth();
