import { Stack, Token, aws_dynamodb as dynamodb, aws_iam as iam, aws_kms as kms, aws_lambda as lambda } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EnhancedLambdaFunction } from '../../src/compute';
import { EnvironmentConfig } from '../../src/governance';
import { EncryptionKeys, EncryptionKeysProps, KeyPurpose } from '../../src/security/encryption-keys';
import { SecureBucket, SecureTable } from '../../src/storage';
import { expectNagClean, testStack } from '../support/nag-harness';

const ROOT = { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:root']] } };

function keyResource(stack: Stack, template: Template, key: kms.IKey): any {
  return template.toJSON().Resources[stack.getLogicalId(key.node.defaultChild as kms.CfnKey)];
}

function statements(stack: Stack, template: Template, key: kms.IKey): any[] {
  return keyResource(stack, template, key).Properties.KeyPolicy.Statement;
}

const DENY_GRANTS = 'DenyGrantsExceptForAwsServices';

/**
 * The Allow statements the library adds for services (CDK's own "enable IAM policies" root
 * statement has no Sid; the Deny on grants that every key carries is asserted on its own).
 */
function serviceStatements(stack: Stack, template: Template, key: kms.IKey): Record<string, any> {
  return Object.fromEntries(statements(stack, template, key).filter((s) => s.Sid && s.Sid !== DENY_GRANTS).map((s) => [s.Sid, s]));
}

function managedPolicyStatements(template: Template): any[] {
  return Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('EncryptionKeys with default props (prod profile)', () => {
  let stack: Stack;
  let keys: EncryptionKeys;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    keys = new EncryptionKeys(stack, 'Keys');
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('creates one rotating, retained customer-managed key per purpose with a 30-day pending window', () => {
    expect(keys.purposes).toEqual(['data', 'storage', 'logs', 'lambda', 'backup', 'messaging']);
    template.resourceCountIs('AWS::KMS::Key', 6);
    for (const purpose of keys.purposes) {
      const key = keyResource(stack, template, keys.keyFor(purpose));
      expect(key).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: { EnableKeyRotation: true, PendingWindowInDays: 30 },
      });
      expect(key.Properties.RotationPeriodInDays).toBeUndefined(); // KMS default: 365 days
      expect(key.Properties.Description).toContain('(Test/Keys, cloudvault-constructs)');
    }
  });

  test('names each key by purpose and exposes it as a member', () => {
    expect([keys.data, keys.storage, keys.logs, keys.lambdaEnvironment, keys.backup, keys.messaging]).toEqual(
      [KeyPurpose.DATA, KeyPurpose.STORAGE, KeyPurpose.LOGS, KeyPurpose.LAMBDA, KeyPurpose.BACKUP, KeyPurpose.MESSAGING].map((p) => keys.keyFor(p)));
    expect(new Set(keys.purposes.map((p) => keys.keyFor(p))).size).toBe(6);
  });

  test('aliases every key alias/<stack>/<path>/<purpose>', () => {
    expect(keys.aliasPrefix).toBe('alias/Test/Keys');
    for (const purpose of keys.purposes) {
      template.hasResourceProperties('AWS::KMS::Alias', {
        AliasName: `alias/Test/Keys/${purpose}`,
        TargetKeyId: stack.resolve(keys.keyFor(purpose).keyArn),
      });
      const alias = template.toJSON().Resources[stack.getLogicalId(keys.aliasFor(purpose).node.defaultChild as kms.CfnAlias)];
      expect(alias.Properties.AliasName).toBe(`alias/Test/Keys/${purpose}`);
    }
  });

  test('the logs key lets CloudWatch Logs use it only for log groups of this account and region', () => {
    expect(Object.keys(serviceStatements(stack, template, keys.logs!))).toEqual(['AllowCloudWatchLogsForThisAccount']);
    expect(serviceStatements(stack, template, keys.logs!).AllowCloudWatchLogsForThisAccount).toEqual({
      Sid: 'AllowCloudWatchLogsForThisAccount',
      Effect: 'Allow',
      Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
      Resource: '*',
      Condition: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:*']] },
        },
      },
    });
  });

  test('the messaging key lets SNS, EventBridge, S3 and CloudWatch publish for this account, and this account use it through SNS and SQS', () => {
    const s = serviceStatements(stack, template, keys.messaging!);
    expect(Object.keys(s).sort()).toEqual(['AllowAwsServicesToPublishForThisAccount', 'AllowCloudWatchAlarmsToPublish', 'AllowUseThroughSnsAndSqs']);
    expect(s.AllowAwsServicesToPublishForThisAccount).toEqual({
      Sid: 'AllowAwsServicesToPublishForThisAccount',
      Effect: 'Allow',
      Principal: { Service: ['sns.amazonaws.com', 'events.amazonaws.com', 's3.amazonaws.com'] },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
    expect(s.AllowCloudWatchAlarmsToPublish).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
    expect(s.AllowUseThroughSnsAndSqs).toEqual({
      Sid: 'AllowUseThroughSnsAndSqs',
      Effect: 'Allow',
      Principal: ROOT,
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: {
        StringEquals: {
          'kms:CallerAccount': '123456789012',
          'kms:ViaService': ['sns.eu-west-1.amazonaws.com', 'sqs.eu-west-1.amazonaws.com'],
        },
      },
    });
  });

  test('the backup key is usable by this account only through AWS Backup, and grants only for AWS resources', () => {
    const s = serviceStatements(stack, template, keys.backup!);
    const throughBackup = { 'kms:ViaService': 'backup.eu-west-1.amazonaws.com', 'kms:CallerAccount': '123456789012' };
    expect(s.AllowUseThroughAwsBackup).toEqual({
      Sid: 'AllowUseThroughAwsBackup',
      Effect: 'Allow',
      Principal: ROOT,
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:DescribeKey'],
      Resource: '*',
      Condition: { StringEquals: throughBackup },
    });
    expect(s.AllowGrantsForAwsBackup).toEqual({
      Sid: 'AllowGrantsForAwsBackup',
      Effect: 'Allow',
      Principal: ROOT,
      Action: ['kms:CreateGrant', 'kms:RetireGrant'],
      Resource: '*',
      Condition: { StringEquals: throughBackup, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    });
  });

  test('the storage key lets S3 generate data keys (inventory and report exports) for this account only', () => {
    expect(serviceStatements(stack, template, keys.storage!)).toEqual({
      AllowS3ReportsForThisAccount: {
        Sid: 'AllowS3ReportsForThisAccount',
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'kms:GenerateDataKey',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      },
    });
  });

  test('the data and lambda keys keep only the key policy that lets IAM policies of this account decide, and the Deny on grants', () => {
    for (const key of [keys.data!, keys.lambdaEnvironment!]) {
      expect(statements(stack, template, key)).toEqual([
        { Action: 'kms:*', Effect: 'Allow', Principal: ROOT, Resource: '*' },
        expect.objectContaining({ Sid: DENY_GRANTS, Effect: 'Deny' }),
      ]);
    }
  });

  test('every key lets only AWS services create grants (AWS Control Tower CT.KMS.PR.3)', () => {
    for (const purpose of keys.purposes) {
      expect(statements(stack, template, keys.keyFor(purpose))).toContainEqual({
        Sid: DENY_GRANTS,
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      });
    }
  });

  test('no statement the library adds uses a wildcard action', () => {
    for (const purpose of keys.purposes) {
      const actions = Object.values(serviceStatements(stack, template, keys.keyFor(purpose))).flatMap((s: any) => [].concat(s.Action));
      expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
    }
  });
});

describe('EncryptionKeys with a rich configuration, used by the foundation constructs (dev profile)', () => {
  let stack: Stack;
  let keys: EncryptionKeys;
  let table: SecureTable;
  let bucket: SecureBucket;
  let fn: EnhancedLambdaFunction;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    keys = new EncryptionKeys(stack, 'Keys', {
      purposes: [KeyPurpose.DATA, KeyPurpose.STORAGE, KeyPurpose.LOGS, KeyPurpose.LAMBDA],
      aliasPrefix: 'alias/cloudvault/dev',
      rotationPeriodDays: 180,
      pendingWindowDays: 10,
    });
    table = new SecureTable(stack, 'Files', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, encryptionKey: keys.data });
    bucket = new SecureBucket(stack, 'Blobs', { encryptionKey: keys.storage });
    fn = new EnhancedLambdaFunction(stack, 'Worker', {
      code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 })'),
      encryptionKey: keys.lambdaEnvironment,
    });
    keys.grantEncryptDecrypt(KeyPurpose.DATA, fn);
    keys.grantDecrypt(KeyPurpose.STORAGE, fn);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('creates only the chosen purposes, with the given rotation period and pending window, destroyed in dev', () => {
    expect(keys.purposes).toEqual(['data', 'storage', 'logs', 'lambda']);
    expect(keys.backup).toBeUndefined();
    expect(keys.messaging).toBeUndefined();
    for (const purpose of keys.purposes) {
      expect(keyResource(stack, template, keys.keyFor(purpose))).toMatchObject({
        DeletionPolicy: 'Delete',
        Properties: { EnableKeyRotation: true, RotationPeriodInDays: 180, PendingWindowInDays: 10 },
      });
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/cloudvault/dev/${purpose}` });
    }
  });

  test('the table, bucket and function encrypt with the keys of their purpose', () => {
    const tableJson = JSON.stringify(template.toJSON().Resources[stack.getLogicalId(table.table.node.defaultChild as dynamodb.CfnGlobalTable)]);
    expect(tableJson).toContain(JSON.stringify(stack.resolve(keys.data!.keyArn)));
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: stack.resolve(keys.storage!.keyArn) } }] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { KmsKeyArn: stack.resolve(keys.lambdaEnvironment!.keyArn) });
    expect(bucket.encryptionKey).toBe(keys.storage);
    expect(fn.encryptionKey).toBe(keys.lambdaEnvironment);
  });

  test('the function\'s log group works because its key gains the CloudWatch Logs statement', () => {
    expect(Object.keys(serviceStatements(stack, template, keys.lambdaEnvironment!))).toEqual(['AllowCloudWatchLogsForThisAccount']);
  });

  test('grants spell out their KMS actions on the one key of the purpose', () => {
    const s = managedPolicyStatements(template);
    expect(s).toContainEqual({ Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: stack.resolve(keys.data!.keyArn) });
    expect(s).toContainEqual({ Action: 'kms:Decrypt', Effect: 'Allow', Resource: stack.resolve(keys.storage!.keyArn) });
  });

  test('asking for a purpose that was not created names the created ones', () => {
    expect(() => keys.keyFor(KeyPurpose.BACKUP)).toThrow(
      'EncryptionKeys "Keys" (Test/Keys): keyFor purpose must be one of the created purposes (data, storage, logs, lambda), got "backup"');
    expect(() => keys.grantDecrypt(KeyPurpose.MESSAGING, new iam.AccountRootPrincipal())).toThrow('got "messaging"');
  });
});

describe('EncryptionKeys validation', () => {
  const make = (props: EncryptionKeysProps) => new EncryptionKeys(testStack(), 'Keys', props);

  test.each([
    [{ rotationPeriodDays: 89 }, 'EncryptionKeys "Keys" (Test/Keys): rotationPeriodDays must be an integer 90-2560, got 89'],
    [{ rotationPeriodDays: 2561 }, 'EncryptionKeys "Keys" (Test/Keys): rotationPeriodDays must be an integer 90-2560, got 2561'],
    [{ pendingWindowDays: 6 }, 'EncryptionKeys "Keys" (Test/Keys): pendingWindowDays must be an integer 7-30, got 6'],
    [{ pendingWindowDays: 31 }, 'EncryptionKeys "Keys" (Test/Keys): pendingWindowDays must be an integer 7-30, got 31'],
    [{ purposes: [] }, 'EncryptionKeys "Keys" (Test/Keys): purposes must be a non-empty list of distinct purposes out of data, storage, logs, lambda, backup, messaging, got []'],
    [{ purposes: [KeyPurpose.DATA, KeyPurpose.DATA] },
      'EncryptionKeys "Keys" (Test/Keys): purposes must be a non-empty list of distinct purposes out of data, storage, logs, lambda, backup, messaging, got ["data", "data"]'],
    [{ aliasPrefix: 'cloudvault/prod' }, 'EncryptionKeys "Keys" (Test/Keys): aliasPrefix must be a name starting with "alias/", got "cloudvault/prod"'],
    [{ aliasPrefix: 'alias/' }, 'EncryptionKeys "Keys" (Test/Keys): aliasPrefix must be a name starting with "alias/", got "alias/"'],
    [{ aliasPrefix: 'alias/aws/cloudvault' }, 'EncryptionKeys "Keys" (Test/Keys): aliasPrefix must be outside "alias/aws/", which AWS reserves for AWS managed keys, got "alias/aws/cloudvault"'],
    [{ aliasPrefix: 'alias/cloud vault' }, 'EncryptionKeys "Keys" (Test/Keys): aliasPrefix must be made of letters, digits, "/", "_", "-" or ":", got "alias/cloud vault"'],
    [{ aliasPrefix: 'alias/cloudvault/' },
      'EncryptionKeys "Keys" (Test/Keys): aliasPrefix must be free of a trailing "/" and of "//" (the purpose is appended as "/<purpose>"), got "alias/cloudvault/"'],
    [{ aliasPrefix: `alias/${'a'.repeat(241)}` },
      `EncryptionKeys "Keys" (Test/Keys): aliasPrefix must be at most 246 characters (aliases are at most 256 with "/<purpose>"), got "alias/${'a'.repeat(241)}"`],
  ] as Array<[EncryptionKeysProps, string]>)('%j', (props, message) => {
    expect(() => make(props)).toThrow(message);
  });

  test('values at the edges and unresolved tokens are accepted', () => {
    expect(() => make({ rotationPeriodDays: 90, pendingWindowDays: 7, aliasPrefix: `alias/${'a'.repeat(240)}` })).not.toThrow();
    expect(() => make({ rotationPeriodDays: 2560, pendingWindowDays: 30, purposes: [KeyPurpose.MESSAGING] })).not.toThrow();
    expect(() => make({ aliasPrefix: Token.asString({ Ref: 'AliasPrefix' }) })).not.toThrow();
  });
});
