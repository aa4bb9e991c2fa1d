import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { EnvironmentConfig, ComplianceRules } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegComplianceRules');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

// Deploy into an account and region without a configuration recorder (at most one per region),
// where the AWSServiceRoleForConfig service-linked role exists (see createServiceLinkedRole).
const compliance = new ComplianceRules(stack, 'Compliance', { ruleNamePrefix: 'cv-integ' });

const integ = new IntegTest(app, 'ComplianceRulesIntegTest', { testCases: [stack] });

// The recorder records every supported resource type, global ones included, and is running.
integ.assertions.awsApiCall('ConfigService', 'describeConfigurationRecorders', { ConfigurationRecorderNames: [compliance.recorder!.ref] })
  .expect(ExpectedResult.objectLike({
    ConfigurationRecorders: [Match.objectLike({ recordingGroup: Match.objectLike({ allSupported: true, includeGlobalResourceTypes: true }) })],
  }));
integ.assertions.awsApiCall('ConfigService', 'describeConfigurationRecorderStatus', { ConfigurationRecorderNames: [compliance.recorder!.ref] })
  .expect(ExpectedResult.objectLike({ ConfigurationRecordersStatus: [Match.objectLike({ recording: true })] }));

// It delivers to the SecureBucket, encrypted with the customer-managed key.
integ.assertions.awsApiCall('ConfigService', 'describeDeliveryChannels', { DeliveryChannelNames: [compliance.deliveryChannel!.ref] })
  .expect(ExpectedResult.objectLike({
    DeliveryChannels: [Match.objectLike({ s3BucketName: compliance.bucket!.bucketName, s3KmsKeyArn: compliance.encryptionKey!.keyArn })],
  }));

// Every managed rule is active with its identifier; each remediable one has its AWS-owned runbook.
for (const rule of compliance.selectedRules) {
  const configRule = compliance.ruleFor(rule)!;
  integ.assertions.awsApiCall('ConfigService', 'describeConfigRules', { ConfigRuleNames: [configRule.configRuleName] })
    .expect(ExpectedResult.objectLike({
      ConfigRules: [Match.objectLike({ ConfigRuleName: configRule.configRuleName, ConfigRuleState: 'ACTIVE', Source: { Owner: 'AWS', SourceIdentifier: rule } })],
    }));
}
for (const remediation of compliance.remediations) {
  integ.assertions.awsApiCall('ConfigService', 'describeRemediationConfigurations', { ConfigRuleNames: [remediation.configRuleName] })
    .expect(ExpectedResult.objectLike({
      RemediationConfigurations: [Match.objectLike({
        ConfigRuleName: remediation.configRuleName,
        TargetType: 'SSM_DOCUMENT',
        TargetId: remediation.targetId,
        Automatic: false,
      })],
    }));
}

app.synth();
