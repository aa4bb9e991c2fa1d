import * as vm from 'vm';
import { CfnElement, Stack, aws_ec2 as ec2, aws_lambda as lambda, aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EnhancedLambdaFunction } from '../../src/compute';
import { EnvironmentConfig } from '../../src/governance';
import { AlarmSet } from '../../src/monitoring';
import { EncryptionKeys, KeyPurpose } from '../../src/security/encryption-keys';
import { API_KEY_ROTATION_SOURCE } from '../../src/security/rotation/api-key-rotation-code';
import { ApiKeySecretOptions, SecretStore, SecretStoreProps } from '../../src/security/secret-store';
import { expectNagClean, testStack } from '../support/nag-harness';

const ACCOUNT = '123456789012';
const DENY_OTHER_ACCOUNTS = {
  Sid: 'DenyOtherAccounts',
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: 'secretsmanager:*',
  Resource: '*',
  Condition: {
    StringNotEquals: { 'aws:PrincipalAccount': ACCOUNT },
    BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
  },
};
const ROTATE_ACTIONS = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'];

function resourceOf(stack: Stack, template: Template, construct: { node: { defaultChild?: unknown } }): any {
  return template.toJSON().Resources[stack.getLogicalId(construct.node.defaultChild as CfnElement)];
}

function child(stack: Stack, template: Template, secret: secretsmanager.Secret, id: string): any {
  const element = secret.node.findChild(id);
  return template.toJSON().Resources[stack.getLogicalId((element.node.defaultChild ?? element) as CfnElement)];
}

function policyStatements(stack: Stack, template: Template, fn: EnhancedLambdaFunction): any[] {
  return resourceOf(stack, template, fn.policy).Properties.PolicyDocument.Statement;
}

describe('SecretStore with default props and one API key (prod profile)', () => {
  let stack: Stack;
  let store: SecretStore;
  let apiKey: secretsmanager.Secret;
  let reader: EnhancedLambdaFunction;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    store = new SecretStore(stack, 'Secrets');
    apiKey = store.addApiKeySecret('PartnerApiKey', { description: 'Key partners send in x-api-key' });
    reader = new EnhancedLambdaFunction(stack, 'Reader', { code: lambda.Code.fromInline('exports.handler = async () => 1') });
    store.grantRead('PartnerApiKey', reader);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('the secret is a random 48-character alphanumeric key, encrypted with the stack\'s customer-managed key and retained', () => {
    expect(store.secretIds).toEqual(['PartnerApiKey']);
    expect(store.secretFor('PartnerApiKey')).toBe(apiKey);
    expect(resourceOf(stack, template, apiKey)).toEqual({
      Type: 'AWS::SecretsManager::Secret',
      Properties: {
        Description: 'Key partners send in x-api-key',
        KmsKeyId: stack.resolve(store.encryptionKey.keyArn),
        GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false, RequireEachIncludedType: true },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('rotates every 30 days with the store\'s function (live alias), created only after it may run', () => {
    const schedule = child(stack, template, apiKey, 'RotationSchedule');
    expect(schedule.Properties).toEqual({
      SecretId: stack.resolve(apiKey.secretArn),
      RotationLambdaARN: stack.resolve(store.rotationFunction!.invocationTarget.functionArn),
      RotationRules: { AutomaticallyAfterDays: 30 },
    });
    const permission = template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'secretsmanager.amazonaws.com' } });
    const policyId = stack.getLogicalId(store.rotationFunction!.policy.node.defaultChild as CfnElement);
    expect(schedule.DependsOn.sort()).toEqual([policyId, ...Object.keys(permission)].sort());
  });

  test('only Secrets Manager, for this account, may invoke the rotation function', () => {
    template.resourcePropertiesCountIs('AWS::Lambda::Permission', { Principal: 'secretsmanager.amazonaws.com' }, 1);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: stack.resolve(store.rotationFunction!.invocationTarget.functionArn),
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: ACCOUNT,
    });
  });

  test('the rotation function runs the inline rotation module on Node.js 24 ARM64, without a dead-letter queue', () => {
    const fn = resourceOf(stack, template, store.rotationFunction!.function);
    expect(fn.Properties).toMatchObject({
      Code: { ZipFile: API_KEY_ROTATION_SOURCE },
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      KmsKeyArn: stack.resolve(store.encryptionKey.keyArn),
    });
    expect(fn.Properties.DeadLetterConfig).toBeUndefined();
  });

  test('the rotation function may rotate only the store\'s API keys and use the key only for them, through Secrets Manager', () => {
    const statements = policyStatements(stack, template, store.rotationFunction!);
    const bySid = Object.fromEntries(statements.filter((s) => s.Sid).map((s) => [s.Sid, s]));
    expect(bySid.RotateStoreApiKeys).toEqual({ Sid: 'RotateStoreApiKeys', Effect: 'Allow', Action: ROTATE_ACTIONS, Resource: [stack.resolve(apiKey.secretArn)] });
    expect(bySid.GenerateApiKeys).toEqual({ Sid: 'GenerateApiKeys', Effect: 'Allow', Action: 'secretsmanager:GetRandomPassword', Resource: '*' });
    expect(bySid.UseStoreKeyThroughSecretsManager).toEqual({
      Sid: 'UseStoreKeyThroughSecretsManager',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: stack.resolve(store.encryptionKey.keyArn),
      Condition: {
        StringEquals: {
          'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com',
          'kms:EncryptionContext:SecretARN': [stack.resolve(apiKey.secretArn)],
        },
      },
    });
    const actions = statements.flatMap((s) => [].concat(s.Action));
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
  });

  test('the secret\'s resource policy denies principals of other accounts (AWS services exempt) and blocks public policies', () => {
    expect(child(stack, template, apiKey, 'Policy').Properties).toEqual({
      SecretId: stack.resolve(apiKey.secretArn),
      BlockPublicPolicy: true,
      ResourcePolicy: { Version: '2012-10-17', Statement: [DENY_OTHER_ACCOUNTS] },
    });
  });

  test('grantRead gives the function explicit read actions on the secret and kms:Decrypt through Secrets Manager for it', () => {
    const statements = policyStatements(stack, template, reader);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      Resource: stack.resolve(apiKey.secretArn),
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: stack.resolve(store.encryptionKey.keyArn),
      Condition: {
        StringEquals: {
          'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com',
          'kms:EncryptionContext:SecretARN': stack.resolve(apiKey.secretArn),
        },
      },
    });
    // Nothing about the reader lands in the key policy.
    expect(JSON.stringify(template.findResources('AWS::KMS::Key'))).not.toContain(stack.getLogicalId(reader.role.node.defaultChild as CfnElement));
  });
});

describe('SecretStore with a rich configuration (dev profile, own keys, VPC, database secret)', () => {
  let stack: Stack;
  let keys: EncryptionKeys;
  let alarms: AlarmSet;
  let store: SecretStore;
  let webhook: secretsmanager.Secret;
  let internal: secretsmanager.Secret;
  let db: secretsmanager.Secret;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    keys = new EncryptionKeys(stack, 'Keys', { purposes: [KeyPurpose.DATA, KeyPurpose.LAMBDA, KeyPurpose.MESSAGING] });
    alarms = new AlarmSet(stack, 'Alarms', { alarmSetName: 'Shared', encryptionKey: keys.messaging });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-12345678',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-11111111', 'subnet-22222222'],
    });
    store = new SecretStore(stack, 'Secrets', {
      encryptionKey: keys.data,
      rotationFunctionKey: keys.lambdaEnvironment,
      rotationDays: 14,
      vpc,
      alarms,
    });
    webhook = store.addApiKeySecret('Webhook', { secretName: 'cloudvault/dev/webhook', rotationDays: 7 });
    internal = store.addApiKeySecret('Internal');
    db = store.addDatabaseSecret('Db', {
      username: 'app',
      hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser({ vpc, functionName: 'cloudvault-dev-db-rotation' }),
    });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('every secret is encrypted with the given key and destroyed with the dev stack', () => {
    for (const secret of [webhook, internal, db]) {
      expect(resourceOf(stack, template, secret)).toMatchObject({
        Properties: { KmsKeyId: stack.resolve(keys.data!.keyArn) },
        DeletionPolicy: 'Delete',
      });
      expect(child(stack, template, secret, 'Policy').Properties.ResourcePolicy.Statement).toContainEqual(DENY_OTHER_ACCOUNTS);
    }
    expect(resourceOf(stack, template, webhook).Properties.Name).toBe('cloudvault/dev/webhook');
  });

  test('API keys rotate on their own or the store\'s schedule, all with the one rotation function', () => {
    expect(child(stack, template, webhook, 'RotationSchedule').Properties.RotationRules).toEqual({ AutomaticallyAfterDays: 7 });
    expect(child(stack, template, internal, 'RotationSchedule').Properties.RotationRules).toEqual({ AutomaticallyAfterDays: 14 });
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Description: 'Rotates the API keys of Test/Secrets' }, 1);
    const bySid = Object.fromEntries(policyStatements(stack, template, store.rotationFunction!).filter((s) => s.Sid).map((s) => [s.Sid, s]));
    const apiKeyArns = [webhook, internal].map((s) => stack.resolve(s.secretArn));
    expect(bySid.RotateStoreApiKeys.Resource).toEqual(apiKeyArns);
    expect(bySid.UseStoreKeyThroughSecretsManager).toMatchObject({
      Resource: stack.resolve(keys.data!.keyArn),
      Condition: { StringEquals: { 'kms:EncryptionContext:SecretARN': apiKeyArns } },
    });
  });

  test('the rotation function runs in the VPC, encrypted with the Lambda key, its alarms in the shared set', () => {
    const fn = resourceOf(stack, template, store.rotationFunction!.function);
    expect(fn.Properties.KmsKeyArn).toEqual(stack.resolve(keys.lambdaEnvironment!.keyArn));
    expect(fn.Properties.VpcConfig.SubnetIds).toEqual(['subnet-11111111', 'subnet-22222222']);
    expect(store.rotationFunction!.alarms).toBe(alarms);
    expect(alarms.alarms.length).toBeGreaterThan(0);
  });

  test('the database secret holds the user name and a generated password, rotated by the hosted PostgreSQL rotation', () => {
    expect(resourceOf(stack, template, db).Properties.GenerateSecretString).toEqual({
      SecretStringTemplate: '{"username":"app"}',
      GenerateStringKey: 'password',
      PasswordLength: 32,
      ExcludeCharacters: ' %+~`#$&*()|[]{}:;<>?!\'/@"\\',
    });
    const schedule = child(stack, template, db, 'RotationSchedule').Properties;
    expect(schedule.RotationRules).toEqual({ ScheduleExpression: 'rate(14 days)' });
    expect(schedule.HostedRotationLambda).toMatchObject({
      RotationType: 'PostgreSQLSingleUser',
      RotationLambdaName: 'cloudvault-dev-db-rotation',
      KmsKeyArn: stack.resolve(keys.data!.keyArn),
      ExcludeCharacters: ' %+~`#$&*()|[]{}:;<>?!\'/@"\\',
      VpcSubnetIds: 'subnet-11111111,subnet-22222222',
    });
    expect(template.toJSON().Transform).toBe('AWS::SecretsManager-2024-09-16');
  });
});

describe('SecretStore validation', () => {
  const store = (props: SecretStoreProps = {}) => new SecretStore(testStack(), 'Secrets', props);
  const apiKey = (options: ApiKeySecretOptions) => store().addApiKeySecret('Api', options);

  test.each([
    ['store rotationDays 0', () => store({ rotationDays: 0 }), 'SecretStore "Secrets" (Test/Secrets): rotationDays must be an integer 1-1000, got 0'],
    ['store rotationDays 1001', () => store({ rotationDays: 1001 }), 'SecretStore "Secrets" (Test/Secrets): rotationDays must be an integer 1-1000, got 1001'],
    ['secret rotationDays 0', () => apiKey({ rotationDays: 0 }), 'SecretStore "Secrets" (Test/Secrets): Api.rotationDays must be an integer 1-1000, got 0'],
    ['secret rotationDays 1001', () => apiKey({ rotationDays: 1001 }), 'SecretStore "Secrets" (Test/Secrets): Api.rotationDays must be an integer 1-1000, got 1001'],
    ['secret rotationDays 2.5', () => apiKey({ rotationDays: 2.5 }), 'SecretStore "Secrets" (Test/Secrets): Api.rotationDays must be an integer 1-1000, got 2.5'],
    ['secretName with a space', () => apiKey({ secretName: 'partner key' }), 'SecretStore "Secrets" (Test/Secrets): Api.secretName must be 1-512 letters, digits or /_+=.@-, got "partner key"'],
    ['secretName ending in -xxxxxx', () => apiKey({ secretName: 'partner-apikey' }),
      'SecretStore "Secrets" (Test/Secrets): Api.secretName must be free of a final "-" followed by six characters (Secrets Manager appends such a suffix to ARNs), got "partner-apikey"'],
    ['description over 2048 characters', () => apiKey({ description: 'd'.repeat(2049) }), 'SecretStore "Secrets" (Test/Secrets): Api.description must be at most 2048 characters long, got 2049'],
    ['empty username', () => store().addDatabaseSecret('Db', { username: '', hostedRotation: secretsmanager.HostedRotation.mysqlSingleUser() }),
      'SecretStore "Secrets" (Test/Secrets): Db.username must be 1-128 characters, got ""'],
    ['the rotation function id as secret id', () => store().addApiKeySecret('ApiKeyRotation'), 'SecretStore "Secrets" (Test/Secrets): secret id must be unique within the store and not "ApiKeyRotation", got "ApiKeyRotation"'],
    ['a duplicate secret id', () => {
      const s = store();
      s.addApiKeySecret('Api');
      s.addApiKeySecret('Api');
    }, 'SecretStore "Secrets" (Test/Secrets): secret id must be unique within the store and not "ApiKeyRotation", got "Api"'],
    ['grantRead of an unknown secret', () => store().grantRead('Nope', new EnhancedLambdaFunction(testStack(), 'Fn', { code: lambda.Code.fromInline('x') })),
      'SecretStore "Secrets" (Test/Secrets): secretId must be the id of a secret of this store (none yet), got "Nope"'],
  ] as Array<[string, () => unknown, string]>)('%s', (_label, make, message) => {
    expect(make).toThrow(message);
  });

  test('values at the edges are accepted', () => {
    const s = store({ rotationDays: 1000 });
    expect(() => s.addApiKeySecret('A', { rotationDays: 1, secretName: 'a', description: 'd'.repeat(2048) })).not.toThrow();
    expect(() => s.addApiKeySecret('B', { secretName: 'team/partner-key-v2' })).not.toThrow();
    expect(() => s.secretFor('C')).toThrow('SecretStore "Secrets" (Test/Secrets): secretId must be the id of a secret of this store (A, B), got "C"');
  });
});

/** The rotation module evaluated as Lambda would load it, with the AWS SDK replaced by a stub. */
function loadRotationModule(): { exports: any; sdkClients: unknown[] } {
  const sdkClients: unknown[] = [];
  const sdk = { SecretsManager: class { constructor(config: unknown) { sdkClients.push(config); } } };
  const module = { exports: {} as any };
  // console is passed in: this test's console (which jest can spy on) is not the outer context's.
  const load = vm.runInThisContext(`(function (require, module, exports, console) {${API_KEY_ROTATION_SOURCE}\n})`);
  load((name: string) => {
    if (name !== '@aws-sdk/client-secrets-manager') throw new Error(`unexpected require ${name}`);
    return sdk;
  }, module, module.exports, console);
  return { exports: module.exports, sdkClients };
}

const notFound = () => Object.assign(new Error('Secrets Manager can\'t find the specified secret value'), { name: 'ResourceNotFoundException' });

interface StageMove { VersionStage: string; MoveToVersionId: string; RemoveFromVersionId?: string }

/** An in-memory secret with Secrets Manager's staging-label behaviour. */
class FakeSecretsManager {
  public rotationEnabled = true;
  public versions: Record<string, string[]> = { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] };
  public values: Record<string, string> = { v1: 'OldKey'.padEnd(48, '0') };
  public readonly describeSecret = jest.fn(async (_: unknown) => ({
    RotationEnabled: this.rotationEnabled,
    VersionIdsToStages: JSON.parse(JSON.stringify(this.versions)),
  }));
  public readonly getSecretValue = jest.fn(async (input: { VersionId?: string; VersionStage: string }) => {
    const id = input.VersionId ?? Object.keys(this.versions).find((v) => this.versions[v].includes(input.VersionStage));
    if (!id || !this.versions[id]?.includes(input.VersionStage) || this.values[id] === undefined) throw notFound();
    return { VersionId: id, SecretString: this.values[id] };
  });
  public readonly getRandomPassword = jest.fn(async (_: unknown) => ({ RandomPassword: 'NewKey1'.padEnd(48, 'x') }));
  public readonly putSecretValue = jest.fn(async (input: { ClientRequestToken: string; SecretString: string; VersionStages: string[] }) => {
    this.values[input.ClientRequestToken] = input.SecretString;
    this.versions[input.ClientRequestToken] = input.VersionStages;
  });
  public readonly updateSecretVersionStage = jest.fn(async (input: StageMove) => {
    for (const [id, stages] of Object.entries(this.versions)) {
      if (id === input.RemoveFromVersionId) this.versions[id] = [...stages.filter((s) => s !== input.VersionStage), 'AWSPREVIOUS'];
    }
    this.versions[input.MoveToVersionId] = [...this.versions[input.MoveToVersionId].filter((s) => s !== 'AWSPENDING'), input.VersionStage];
  });
}

describe('API-key rotation function', () => {
  const SecretId = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:partner-AbCdEf';
  let client: FakeSecretsManager;
  let handler: (event: unknown) => Promise<void>;
  let log: jest.SpyInstance;
  const step = (Step: string, extra: Record<string, string> = {}) => handler({ SecretId, ClientRequestToken: 'v2', Step, ...extra });
  beforeEach(() => {
    client = new FakeSecretsManager();
    handler = loadRotationModule().exports.makeHandler(client);
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => log.mockRestore());

  test('the module fits CloudFormation\'s inline code limit and creates its SDK client once, at load', () => {
    expect(API_KEY_ROTATION_SOURCE.length).toBeLessThan(4096);
    const loaded = loadRotationModule();
    expect(typeof loaded.exports.handler).toBe('function');
    expect(loaded.sdkClients).toEqual([{}]);
  });

  test('createSecret stores a new random 48-character alphanumeric key as AWSPENDING under the request token', async () => {
    await step('createSecret');
    expect(client.getRandomPassword).toHaveBeenCalledWith({
      PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false, RequireEachIncludedType: true,
    });
    expect(client.putSecretValue).toHaveBeenCalledWith({ SecretId, ClientRequestToken: 'v2', SecretString: 'NewKey1'.padEnd(48, 'x'), VersionStages: ['AWSPENDING'] });
    expect(client.values.v1).toBe('OldKey'.padEnd(48, '0'));
  });

  test('createSecret passes the rotation token on when Secrets Manager sends one', async () => {
    await step('createSecret', { RotationToken: 'rt-1' });
    expect(client.putSecretValue).toHaveBeenCalledWith(expect.objectContaining({ RotationToken: 'rt-1' }));
  });

  test('createSecret is idempotent: a retry finds the pending value and keeps it', async () => {
    client.values.v2 = 'Pending1'.padEnd(48, 'y');
    await step('createSecret');
    expect(client.getRandomPassword).not.toHaveBeenCalled();
    expect(client.putSecretValue).not.toHaveBeenCalled();
    expect(client.values.v2).toBe('Pending1'.padEnd(48, 'y'));
  });

  test('createSecret fails on any error other than a missing pending value', async () => {
    client.getSecretValue.mockRejectedValueOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(step('createSecret')).rejects.toThrow('throttled');
    expect(client.putSecretValue).not.toHaveBeenCalled();
  });

  test('setSecret changes nothing: the service that checks the key reads it from Secrets Manager', async () => {
    await step('setSecret');
    const calls = [client.getSecretValue, client.getRandomPassword, client.putSecretValue, client.updateSecretVersionStage];
    expect(calls.map((m) => m.mock.calls.length)).toEqual([0, 0, 0, 0]);
  });

  test('testSecret accepts a well-formed pending key and rejects a missing or malformed one', async () => {
    client.values.v2 = 'Pending1'.padEnd(48, 'y');
    await expect(step('testSecret')).resolves.toBeUndefined();
    client.values.v2 = 'too-short';
    await expect(step('testSecret')).rejects.toThrow(`Pending version v2 of ${SecretId} is not a 48-character alphanumeric key`);
    delete client.values.v2;
    await expect(step('testSecret')).rejects.toThrow('can\'t find the specified secret value');
  });

  test('finishSecret moves AWSCURRENT to the new version (the old one becomes AWSPREVIOUS)', async () => {
    client.values.v2 = 'Pending1'.padEnd(48, 'y');
    await step('finishSecret');
    expect(client.updateSecretVersionStage).toHaveBeenCalledWith({ SecretId, VersionStage: 'AWSCURRENT', MoveToVersionId: 'v2', RemoveFromVersionId: 'v1' });
    expect(client.versions).toEqual({ v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] });
  });

  test('the four steps in order rotate the key end to end, and a repeated step is then a no-op', async () => {
    for (const s of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await step(s);
    expect(client.versions.v2).toEqual(['AWSCURRENT']);
    expect(client.values.v2).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(client.values.v2).not.toBe(client.values.v1);
    await step('finishSecret');
    await step('createSecret');
    expect(client.updateSecretVersionStage).toHaveBeenCalledTimes(1);
    expect(client.putSecretValue).toHaveBeenCalledTimes(1);
  });

  test('refuses secrets without rotation, versions without a stage, versions not AWSPENDING and unknown steps', async () => {
    client.rotationEnabled = false;
    await expect(step('createSecret')).rejects.toThrow(`Rotation is not enabled for ${SecretId}`);
    client.rotationEnabled = true;
    await expect(handler({ SecretId, ClientRequestToken: 'v9', Step: 'createSecret' })).rejects.toThrow(`Version v9 of ${SecretId} has no stage for rotation`);
    client.versions.v2 = ['AWSPREVIOUS'];
    await expect(step('createSecret')).rejects.toThrow(`Version v2 of ${SecretId} is not AWSPENDING`);
    client.versions.v2 = ['AWSPENDING'];
    await expect(step('deleteSecret')).rejects.toThrow('Unknown rotation step deleteSecret');
  });

  test('logs steps without secret values', async () => {
    await step('createSecret');
    const lines = log.mock.calls.map((c) => JSON.parse(c[0]));
    expect(lines).toEqual([{ step: 'createSecret', secretId: SecretId, version: 'v2', message: 'pending version created' }]);
    expect(JSON.stringify(log.mock.calls)).not.toContain('NewKey1');
  });
});
