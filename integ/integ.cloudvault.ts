import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { CloudVaultApiStack } from '../apps/cloudvault/infra/api-stack';
import { CloudVaultDataStack } from '../apps/cloudvault/infra/data-stack';
import { CloudVaultEventsStack } from '../apps/cloudvault/infra/events-stack';
import { CloudVaultNetworkStack } from '../apps/cloudvault/infra/network-stack';
import { CloudVaultSecurityStack } from '../apps/cloudvault/infra/security-stack';
import { EnvironmentConfig, RequiredTags } from '../src';

// The CloudVault API path of the reference app: network, security (WAF, alarm topic), data, events
// and API stacks wired as the CloudVault stage wires them. Stacks sit directly in the app (not in the
// stage) because integ-runner and the snapshot check read only top-level stacks.
const app = new App();
EnvironmentConfig.dev().applyTo(app); // integ stacks are torn down after the run
RequiredTags.applyTo(app, { environment: 'dev', project: 'cloudvault', owner: 'cloudvault-maintainers', costCenter: 'CV-0001' });

// The table's customer-managed key needs a concrete region (integ-runner passes one).
const env = { region: process.env.CDK_INTEG_REGION ?? process.env.CDK_DEFAULT_REGION ?? 'eu-west-1' };
const network = new CloudVaultNetworkStack(app, 'CvIntegCloudVaultNetwork', { env });
// Test accounts run GuardDuty, Security Hub and AWS Config already (one of each per region).
const security = new CloudVaultSecurityStack(app, 'CvIntegCloudVaultSecurity', { env, createDetector: false, createSecurityHub: false, createRecorder: false });
const data = new CloudVaultDataStack(app, 'CvIntegCloudVaultData', { env, keys: security.keys, alarmTopic: security.alarms.topic });
const events = new CloudVaultEventsStack(app, 'CvIntegCloudVaultEvents', {
  env,
  alarmTopic: security.alarms.topic,
  vpc: network.network.vpc,
  table: data.table,
  files: data.files,
  senderDomain: 'cloudvault.example.com',
});
const api = new CloudVaultApiStack(app, 'CvIntegCloudVaultApi', {
  env,
  alarmTopic: security.alarms.topic,
  webAclArn: security.firewall.webAclArn,
  vpc: network.network.vpc,
  table: data.table,
  files: data.files,
  notificationQueue: events.notifications,
  backupExportQueue: events.backupExports,
});

const integ = new IntegTest(app, 'CloudVaultIntegTest', {
  testCases: [network, security, data, events, api],
  assertionStack: new Stack(app, 'CvIntegCloudVaultAssertions', { env }),
});

// The public health route answers without credentials, through the WAF.
integ.assertions.httpApiCall(api.api.urlForPath('/api/health'))
  .expect(ExpectedResult.objectLike({ status: 200, body: { status: 'ok' } }));

// The other routes are guarded by the Cognito authorizer: anonymous calls are rejected.
for (const route of ['/api/folders', '/api/files', '/api/shares', '/api/analytics', '/api/notifications', '/api/backup']) {
  integ.assertions.httpApiCall(api.api.urlForPath(route))
    .expect(ExpectedResult.objectLike({ status: 401 }));
}

// The public share route reaches its handler without credentials: an unknown token is a 404.
integ.assertions.httpApiCall(api.api.urlForPath(`/api/shares/${'A'.repeat(43)}`))
  .expect(ExpectedResult.objectLike({ status: 404, body: { error: { code: 'NOT_FOUND' } } }));

// The stage is associated with the security stack's web ACL.
integ.assertions.awsApiCall('WAFV2', 'getWebACLForResource', { ResourceArn: api.api.api.deploymentStage.stageArn })
  .expect(ExpectedResult.objectLike({ WebACL: { ARN: Match.stringLikeRegexp('webacl') } }));

app.synth();
