import { Duration, Stack, aws_cognito as cognito, aws_iam as iam } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ApiAuthorizationType, SecureRestApi } from '../../src/api';
import { EnvironmentConfig } from '../../src/governance';
import { UserDirectory, UserDirectoryProps } from '../../src/identity';
import { AlarmSet } from '../../src/monitoring';
import { expectNagClean, testApp, testStack } from '../support/nag-harness';

function userPool(template: Template): any {
  const pools = Object.values(template.findResources('AWS::Cognito::UserPool'));
  expect(pools).toHaveLength(1);
  return pools[0];
}

describe('UserDirectory with default props (prod profile)', () => {
  let stack: Stack;
  let directory: UserDirectory;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    directory = new UserDirectory(stack, 'Users');
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectNagClean(stack);
  });

  test('is on the Plus plan with threat protection enforced for standard and custom auth', () => {
    const p = userPool(template).Properties;
    expect(p.UserPoolTier).toBe('PLUS');
    expect(p.UserPoolAddOns).toEqual({ AdvancedSecurityMode: 'ENFORCED', AdvancedSecurityAdditionalFlows: { CustomAuthMode: 'ENFORCED' } });
  });

  test('requires 12+ character passwords with every character class and no reuse of the last 5', () => {
    expect(userPool(template).Properties.Policies.PasswordPolicy).toEqual({
      MinimumLength: 12,
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
      PasswordHistorySize: 5,
      TemporaryPasswordValidityDays: 3,
    });
  });

  test('prod requires TOTP MFA (no SMS)', () => {
    const p = userPool(template).Properties;
    expect(p.MfaConfiguration).toBe('ON');
    expect(p.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect(directory.mfaRequired).toBe(true);
  });

  test('e-mail sign-in, verified before a change takes effect; admins create users', () => {
    const p = userPool(template).Properties;
    expect(p.UsernameAttributes).toEqual(['email']);
    expect(p.AutoVerifiedAttributes).toEqual(['email']);
    expect(p.UserAttributeUpdateSettings).toEqual({ AttributesRequireVerificationBeforeUpdate: ['email'] });
    expect(p.AdminCreateUserConfig.AllowAdminCreateUserOnly).toBe(true);
    expect(p.AccountRecoverySetting).toEqual({ RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] });
    // Case-insensitive sign-in names: "Alice@example.com" and "alice@example.com" are one user.
    expect(p.UsernameConfiguration).toEqual({ CaseSensitive: false });
  });

  test('is deletion-protected and retained in prod', () => {
    const pool = userPool(template);
    expect(pool.Properties.DeletionProtection).toBe('ACTIVE');
    expect(pool.DeletionPolicy).toBe('Retain');
  });

  test('has no clients, groups or domain, hence no alarms', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolGroup', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
    expect(directory.clientIds).toEqual([]);
    expect(directory.alarms.alarms).toHaveLength(0);
  });

  test('authorizer() is a Cognito authorizer over the pool that SecureRestApi accepts', () => {
    const auth = directory.authorizer();
    expect(auth.authorizationType).toBe(ApiAuthorizationType.COGNITO);
    expect(auth.userPools).toEqual([directory.userPool]);
    const apiStack = testStack(testApp(), 'Api');
    const users = new UserDirectory(apiStack, 'Users');
    const api = new SecureRestApi(apiStack, 'Api', { authorizer: users.authorizer() });
    expect(api.authorization.userPools).toEqual([users.userPool]);
  });

  test('issuer is the pool\'s token issuer URL', () => {
    expect(stack.resolve(directory.issuer)).toEqual({
      'Fn::Join': ['', ['https://cognito-idp.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: stack.getLogicalId(directory.userPool.node.defaultChild as cognito.CfnUserPool) }]],
    });
  });
});

describe('UserDirectory with a rich configuration (dev profile)', () => {
  let stack: Stack;
  let directory: UserDirectory;
  let shared: AlarmSet;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    shared = new AlarmSet(stack, 'Ops');
    directory = new UserDirectory(stack, 'Users', {
      userPoolName: 'cv-users',
      roles: [{ name: 'admin', description: 'Tenant administrators' }, { name: 'member' }, { name: 'auditor', precedence: 5 }],
      immutableAttributes: [{ name: 'tenantId' }, { name: 'region', minLength: 2, maxLength: 16 }],
      selfSignUpEnabled: true,
      passwordMinLength: 16,
      passwordHistorySize: 24,
      domainPrefix: 'cv-dev-login',
      browserClient: {
        callbackUrls: ['https://app.example.com/callback', 'http://localhost:5173/callback'],
        logoutUrls: ['https://app.example.com/'],
        tokenValidity: Duration.minutes(30),
        refreshTokenValidity: Duration.days(7),
      },
      serverClient: { scopes: ['files.read', 'files.write'], resourceServerIdentifier: 'https://api.example.com' },
      alarms: shared,
    });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectNagClean(stack);
  });

  test('dev makes MFA optional (TOTP), drops deletion protection and destroys the pool', () => {
    const pool = userPool(template);
    expect(pool.Properties.MfaConfiguration).toBe('OPTIONAL');
    expect(pool.Properties.DeletionProtection).toBe('INACTIVE');
    expect(pool.DeletionPolicy).toBe('Delete');
  });

  test('immutable custom attributes with their lengths; self sign-up on; stronger passwords', () => {
    const p = userPool(template).Properties;
    expect(p.UserPoolName).toBe('cv-users');
    expect(p.Schema).toEqual([
      { Name: 'tenantId', AttributeDataType: 'String', Mutable: false, StringAttributeConstraints: { MinLength: '1', MaxLength: '64' } },
      { Name: 'region', AttributeDataType: 'String', Mutable: false, StringAttributeConstraints: { MinLength: '2', MaxLength: '16' } },
    ]);
    expect(p.AdminCreateUserConfig.AllowAdminCreateUserOnly).toBe(false);
    expect(p.Policies.PasswordPolicy).toMatchObject({ MinimumLength: 16, PasswordHistorySize: 24 });
  });

  test('one group per role, precedence by position unless given', () => {
    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map((g: any) => g.Properties);
    expect(groups.map((g) => [g.GroupName, g.Precedence])).toEqual([['admin', 0], ['member', 10], ['auditor', 5]]);
    expect(groups[0].Description).toBe('Tenant administrators');
    expect(Object.keys(directory.groups)).toEqual(['admin', 'member', 'auditor']);
  });

  test('the browser client has no secret, only the code flow (PKCE), https callbacks, and cannot write custom attributes', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: ['https://app.example.com/callback', 'http://localhost:5173/callback'],
      LogoutURLs: ['https://app.example.com/'],
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AccessTokenValidity: 30,
      IdTokenValidity: 30,
      RefreshTokenValidity: 10080,
      WriteAttributes: ['email', 'name'],
    });
  });

  test('the server client uses client credentials with the resource server\'s scopes', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'https://api.example.com',
      Scopes: [{ ScopeName: 'files.read', ScopeDescription: Match.anyValue() }, { ScopeName: 'files.write', ScopeDescription: Match.anyValue() }],
    });
    const server = stack.resolve((directory.serverClient!.node.defaultChild as cognito.CfnUserPoolClient)._toCloudFormation()).Resources;
    const props = (Object.values(server)[0] as any).Properties;
    expect(props).toMatchObject({ GenerateSecret: true, AllowedOAuthFlows: ['client_credentials'], ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'] });
    const resourceServerId = stack.getLogicalId(directory.resourceServer!.node.defaultChild as cognito.CfnUserPoolResourceServer);
    expect(props.AllowedOAuthScopes).toEqual(['files.read', 'files.write'].map((scope) => ({ 'Fn::Join': ['', [{ Ref: resourceServerId }, `/${scope}`]] })));
    expect(directory.clientIds).toHaveLength(2);
  });

  test('a Cognito domain with managed login, and a default style for the browser client', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'cv-dev-login', ManagedLoginVersion: 2 });
    template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', {
      ClientId: { Ref: stack.getLogicalId(directory.browserClient!.node.defaultChild as cognito.CfnUserPoolClient) },
      UseCognitoProvidedValues: true,
    });
  });

  test('throttling alarms per client go into the shared set', () => {
    expect(directory.alarms).toBe(shared);
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties.MetricName);
    expect(names.sort()).toEqual(['SignInThrottles', 'TokenRefreshThrottles', 'TokenRefreshThrottles']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Cognito',
      Dimensions: Match.arrayWith([{ Name: 'UserPoolClient', Value: { Ref: Match.anyValue() } }]),
    });
  });
});

describe('UserDirectory with an SRP-only browser client and case-sensitive sign-in names (an existing pool)', () => {
  let stack: Stack;
  let directory: UserDirectory;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    directory = new UserDirectory(stack, 'Users', {
      signInCaseSensitive: true,
      domainPrefix: 'cv-srp-login',
      browserClient: {},
    });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectNagClean(stack);
  });

  test('the client signs in over SRP only: no OAuth flow, no callback, no managed-login style', () => {
    const client = Object.values(template.findResources('AWS::Cognito::UserPoolClient'))[0].Properties;
    expect(client).toMatchObject({
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      WriteAttributes: ['email', 'name'],
    });
    for (const key of ['AllowedOAuthFlows', 'AllowedOAuthScopes', 'CallbackURLs', 'LogoutURLs']) expect(client[key]).toBeUndefined();
    template.resourceCountIs('AWS::Cognito::ManagedLoginBranding', 0);
    expect(directory.browserBranding).toBeUndefined();
    expect(directory.clientIds).toHaveLength(1);
  });

  test('signInCaseSensitive: true leaves UsernameConfiguration out (Cognito\'s case-sensitive default)', () => {
    expect(userPool(template).Properties.UsernameConfiguration).toBeUndefined();
  });
});

describe('UserDirectory grants and imports', () => {
  test('grantManageUsers and grantReadUsers name their actions on the pool only', () => {
    const stack = testStack();
    const directory = new UserDirectory(stack, 'Users');
    const admin = new iam.Role(stack, 'Admin', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    directory.grantManageUsers(admin);
    directory.grantReadUsers(reader);
    const template = Template.fromStack(stack);
    const poolArn = stack.resolve(directory.userPoolArn);
    const statements = (role: iam.Role) => {
      const roleId = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
      const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p: any) => p.Properties.Roles[0].Ref === roleId) as any;
      return policy.Properties.PolicyDocument.Statement;
    };
    const [adminStatement] = statements(admin);
    expect(adminStatement.Resource).toEqual(poolArn);
    expect(adminStatement.Action).toEqual(expect.arrayContaining(['cognito-idp:AdminCreateUser', 'cognito-idp:AdminAddUserToGroup']));
    expect(adminStatement.Action.every((a: string) => !a.includes('*'))).toBe(true);
    const [readStatement] = statements(reader);
    expect(readStatement.Action.filter((a: string) => /Create|Update|Delete|Add|Remove|Disable|Enable|Reset|SignOut/.test(a))).toEqual([]);
  });

  test('fromUserPool wraps an existing pool and its client ids', () => {
    const stack = testStack();
    const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_abc123');
    const directory = UserDirectory.fromUserPool(stack, 'Existing', pool, ['client1']);
    expect(directory.clientIds).toEqual(['client1']);
    expect(directory.authorizer().userPools).toEqual([pool]);
    expect(stack.resolve(directory.issuer)).toEqual({ 'Fn::Join': ['', ['https://cognito-idp.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/eu-west-1_abc123']] });
    expect(() => UserDirectory.fromUserPool(stack, 'None', pool, [])).toThrow(
      'UserDirectory.fromUserPool "None": clientIds must be at least one app client id, got []');
  });
});

describe('UserDirectory rejects invalid props', () => {
  function make(props: Partial<UserDirectoryProps>, dev = true): UserDirectory {
    const stack = testStack(testApp());
    if (dev) EnvironmentConfig.dev().applyTo(stack);
    return new UserDirectory(stack, 'Users', props as UserDirectoryProps);
  }
  const browser = { callbackUrls: ['https://app.example.com/cb'] };

  test.each([
    [{ passwordMinLength: 8 }, 'UserDirectory "Users" (Test/Users): passwordMinLength must be an integer 12-99, got 8'],
    [{ passwordHistorySize: 25 }, 'UserDirectory "Users" (Test/Users): passwordHistorySize must be an integer 0-24, got 25'],
    [{ domainPrefix: 'My_Login' }, 'UserDirectory "Users" (Test/Users): domainPrefix must be 1-63 lowercase letters, digits or "-", not starting or ending with "-", got "My_Login"'],
    [{ domainPrefix: 'my-cognito-login' }, 'UserDirectory "Users" (Test/Users): domainPrefix must be free of the reserved words aws, amazon and cognito, got "my-cognito-login"'],
    [{ roles: [{ name: 'tenant admin' }] }, 'UserDirectory "Users" (Test/Users): roles[0].name must be 1-128 characters without spaces, got "tenant admin"'],
    [{ roles: [{ name: 'admin' }, { name: 'admin' }] }, 'UserDirectory "Users" (Test/Users): roles[1].name must be unique among the roles, got "admin"'],
    [{ roles: [{ name: 'admin', precedence: -1 }] }, 'UserDirectory "Users" (Test/Users): roles[0].precedence must be an integer 0-2147483647, got -1'],
    [{ immutableAttributes: [{ name: 'custom:tenantId' }] },
      'UserDirectory "Users" (Test/Users): immutableAttributes[0].name must be 1-20 letters, digits or "_" (without the custom: prefix), got "custom:tenantId"'],
    [{ immutableAttributes: [{ name: 'tenantId' }, { name: 'tenantId' }] },
      'UserDirectory "Users" (Test/Users): immutableAttributes[1].name must be unique among the attributes, got "tenantId"'],
    [{ immutableAttributes: [{ name: 'tenantId', maxLength: 4096 }] },
      'UserDirectory "Users" (Test/Users): immutableAttributes[0].maxLength must be an integer 1-2048, got 4096'],
    [{ immutableAttributes: [{ name: 'tenantId', minLength: 10, maxLength: 5 }] },
      'UserDirectory "Users" (Test/Users): immutableAttributes[0].minLength must be <= maxLength (5), got 10'],
    [{ immutableAttributes: [{ name: 'tenantId', minLength: 3000 }] },
      'UserDirectory "Users" (Test/Users): immutableAttributes[0].minLength must be an integer 0-2048, got 3000'],
    [{ browserClient: { callbackUrls: 'https://app.example.com/cb' as any } },
      'UserDirectory "Users" (Test/Users): browserClient.callbackUrls must be an array of https:// URLs, got "https://app.example.com/cb"'],
    [{ browserClient: { logoutUrls: ['https://app.example.com/'] } },
      'UserDirectory "Users" (Test/Users): browserClient.logoutUrls must be omitted when callbackUrls is (a client without OAuth flows has no sign-out redirect), got ["https://app.example.com/"]'],
    [{ browserClient: { callbackUrls: [] } }, 'UserDirectory "Users" (Test/Users): browserClient.callbackUrls must be at least one https:// URL, got []'],
    [{ browserClient: { callbackUrls: ['http://app.example.com/cb'] } },
      'UserDirectory "Users" (Test/Users): browserClient.callbackUrls[0] must be an https:// URL without a fragment (http:// only for localhost), got "http://app.example.com/cb"'],
    [{ browserClient: { ...browser, logoutUrls: ['https://app.example.com/#out'] } },
      'UserDirectory "Users" (Test/Users): browserClient.logoutUrls[0] must be an https:// URL without a fragment (http:// only for localhost), got "https://app.example.com/#out"'],
    [{ browserClient: { ...browser, tokenValidity: Duration.days(2) } },
      'UserDirectory "Users" (Test/Users): browserClient.tokenValidity must be 300-86400 seconds, got "172800 seconds"'],
    [{ browserClient: { ...browser, refreshTokenValidity: Duration.minutes(30) } },
      'UserDirectory "Users" (Test/Users): browserClient.refreshTokenValidity must be 3600-315360000 seconds, got "1800 seconds"'],
    [{ browserClient: { ...browser, tokenValidity: Duration.hours(12), refreshTokenValidity: Duration.hours(2) } },
      'UserDirectory "Users" (Test/Users): browserClient.refreshTokenValidity must be longer than tokenValidity (43200 seconds), got "7200 seconds"'],
    [{ serverClient: { scopes: undefined as any } }, 'UserDirectory "Users" (Test/Users): serverClient.scopes must be an array of scope names, got undefined'],
    [{ serverClient: { scopes: [] } }, 'UserDirectory "Users" (Test/Users): serverClient.scopes must be at least one scope name, got []'],
    [{ serverClient: { scopes: ['files read'] } },
      'UserDirectory "Users" (Test/Users): serverClient.scopes[0] must be 1-256 printable characters without spaces, quotes or backslashes, got "files read"'],
    [{ serverClient: { scopes: ['read', 'read'] } }, 'UserDirectory "Users" (Test/Users): serverClient.scopes[1] must be unique among the scopes, got "read"'],
    [{ serverClient: { scopes: ['read'], resourceServerIdentifier: '' } },
      'UserDirectory "Users" (Test/Users): serverClient.resourceServerIdentifier must be 1-256 printable characters, got ""'],
    [{ serverClient: { scopes: ['read'], tokenValidity: Duration.minutes(1) } },
      'UserDirectory "Users" (Test/Users): serverClient.tokenValidity must be 300-86400 seconds, got "60 seconds"'],
  ] as Array<[Partial<UserDirectoryProps>, string]>)('%j', (props, message) => {
    expect(() => make(props)).toThrow(message);
  });

  test('prod cannot turn MFA off', () => {
    expect(() => make({ mfaRequired: false }, false)).toThrow(
      'UserDirectory "Users" (Test/Users): mfaRequired must be true in the prod profile (prod users always need a second factor), got false');
  });

  test('props, when given, must be an object (JavaScript callers)', () => {
    expect(() => new UserDirectory(testStack(), 'Users', null as any)).toThrow(
      'UserDirectory "Users" (Test/Users): props must be UserDirectoryProps (an object) or omitted, got null');
  });
});
