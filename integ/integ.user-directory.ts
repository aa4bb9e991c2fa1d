import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { EnvironmentConfig } from '../src';
import { UserDirectory } from '../src/identity';

const app = new App();
const stack = new Stack(app, 'CvIntegUserDirectory');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

// No domainPrefix: Cognito domain prefixes are unique per region across all accounts, so a fixed
// one would collide between runs; the clients are created and checked without it.
const users = new UserDirectory(stack, 'Users', {
  roles: [{ name: 'admin', description: 'Tenant administrators' }, { name: 'member' }],
  immutableAttributes: [{ name: 'tenantId' }],
  browserClient: { callbackUrls: ['https://app.example.com/callback'] },
  serverClient: { scopes: ['files.read'] },
});

const integ = new IntegTest(app, 'UserDirectoryIntegTest', { testCases: [stack] });
const UserPoolId = users.userPoolId;

// Plus plan, threat protection enforced, strong passwords, optional TOTP (dev), immutable tenant id.
integ.assertions.awsApiCall('CognitoIdentityServiceProvider', 'describeUserPool', { UserPoolId })
  .expect(ExpectedResult.objectLike({
    UserPool: Match.objectLike({
      UserPoolTier: 'PLUS',
      UserPoolAddOns: Match.objectLike({ AdvancedSecurityMode: 'ENFORCED' }),
      MfaConfiguration: 'OPTIONAL',
      Policies: Match.objectLike({
        PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true, RequireNumbers: true, PasswordHistorySize: 5 }),
      }),
      AdminCreateUserConfig: Match.objectLike({ AllowAdminCreateUserOnly: true }),
      SchemaAttributes: Match.arrayWith([Match.objectLike({ Name: 'custom:tenantId', Mutable: false })]),
    }),
  }));

// The browser client: no secret, authorization code only, the callback given.
integ.assertions.awsApiCall('CognitoIdentityServiceProvider', 'describeUserPoolClient', { UserPoolId, ClientId: users.browserClient!.userPoolClientId })
  .expect(ExpectedResult.objectLike({
    UserPoolClient: Match.objectLike({
      AllowedOAuthFlows: ['code'],
      CallbackURLs: ['https://app.example.com/callback'],
      WriteAttributes: Match.arrayWith(['email']),
    }),
  }));

// The server client: client credentials with the resource server's scope.
integ.assertions.awsApiCall('CognitoIdentityServiceProvider', 'describeUserPoolClient', { UserPoolId, ClientId: users.serverClient!.userPoolClientId })
  .expect(ExpectedResult.objectLike({
    UserPoolClient: Match.objectLike({ AllowedOAuthFlows: ['client_credentials'], AllowedOAuthScopes: ['api/files.read'] }),
  }));

// One group per role.
integ.assertions.awsApiCall('CognitoIdentityServiceProvider', 'listGroups', { UserPoolId })
  .expect(ExpectedResult.objectLike({
    Groups: Match.arrayWith([Match.objectLike({ GroupName: 'admin', Precedence: 0 }), Match.objectLike({ GroupName: 'member', Precedence: 10 })]),
  }));

// An administrator sets the tenant id when creating a user; it reads back unchanged.
const create = integ.assertions.awsApiCall('CognitoIdentityServiceProvider', 'adminCreateUser', {
  UserPoolId,
  Username: 'integ-user@example.com',
  MessageAction: 'SUPPRESS',
  UserAttributes: [{ Name: 'email', Value: 'integ-user@example.com' }, { Name: 'custom:tenantId', Value: 'tenant-a' }],
});
const get = integ.assertions.awsApiCall('CognitoIdentityServiceProvider', 'adminGetUser', { UserPoolId, Username: 'integ-user@example.com' });
get.expect(ExpectedResult.objectLike({ UserAttributes: Match.arrayWith([{ Name: 'custom:tenantId', Value: 'tenant-a' }]) }));
create.next(get);

app.synth();
