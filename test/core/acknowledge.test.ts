import { readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { CfnResource, Stack } from 'aws-cdk-lib';
import { GUARD_REGISTRY_RULES, acknowledge, complianceRuleIds, controlTowerRule } from '../../src/core/acknowledge';

function suppressedRules(resource: CfnResource): string[] | undefined {
  return resource.getMetadata('guard')?.SuppressedRules;
}

describe('acknowledge writes cfn-guard suppressions', () => {
  const reason = 'a reason long enough for a reviewer to read';

  test('a Control Tower rule under its guard rule name', () => {
    const resource = new CfnResource(new Stack(), 'Queue', { type: 'AWS::SQS::Queue' });
    acknowledge(resource, [controlTowerRule('sqs_dlq_check')], reason);
    expect(suppressedRules(resource)).toEqual(['sqs_dlq_check']);
  });

  test('HIPAA / NIST / PCI rules once, under the Guard Rules Registry name of their AWS Config rule', () => {
    const resource = new CfnResource(new Stack(), 'Fn', { type: 'AWS::Lambda::Function' });
    acknowledge(resource, [...complianceRuleIds('LambdaInsideVPC'), 'Serverless-LambdaDLQ', controlTowerRule('lambda_inside_vpc_check')], reason);
    expect(suppressedRules(resource)).toEqual(['LAMBDA_INSIDE_VPC', 'LAMBDA_DLQ_CHECK', 'lambda_inside_vpc_check']);
  });

  test('AwsSolutions rules and rules without a registry equivalent write nothing', () => {
    const resource = new CfnResource(new Stack(), 'Bucket', { type: 'AWS::S3::Bucket' });
    acknowledge(resource, ['AwsSolutions-S1', 'Serverless-SQSRedrivePolicy'], reason);
    expect(suppressedRules(resource)).toBeUndefined();
  });

  test('a second acknowledgement adds to the suppressions', () => {
    const resource = new CfnResource(new Stack(), 'Bucket', { type: 'AWS::S3::Bucket' });
    acknowledge(resource, complianceRuleIds('S3BucketReplicationEnabled'), reason);
    acknowledge(resource, [controlTowerRule('s3_bucket_logging_enabled_check'), ...complianceRuleIds('S3BucketReplicationEnabled')], reason);
    expect(suppressedRules(resource)).toEqual(['S3_BUCKET_REPLICATION_ENABLED', 's3_bucket_logging_enabled_check']);
  });
});

test('every HIPAA / NIST / PCI rule the library acknowledges has its Guard Rules Registry name', () => {
  const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
  const names = new Set<string>();
  for (const file of files(join(__dirname, '..', '..', 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/complianceRuleIds\('([A-Za-z0-9]+)'\)|'(?:HIPAA\.Security|NIST\.800\.53\.R5|PCI\.DSS\.321)-([A-Za-z0-9]+)'/g)) {
      names.add(m[1] ?? m[2]);
    }
  }
  expect(names.size).toBeGreaterThan(10);
  expect([...names].filter((n) => GUARD_REGISTRY_RULES[n] === undefined)).toEqual([]);
});
