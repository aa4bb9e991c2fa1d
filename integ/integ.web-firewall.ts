import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack, aws_cognito as cognito, aws_lambda as lambda } from 'aws-cdk-lib';
import { ApiAuthorization, EnhancedLambdaFunction, EnvironmentConfig, SecureRestApi, WebFirewall } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegWebFirewall');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

const firewall = new WebFirewall(stack, 'Firewall', { blockedCountries: ['KP'] });

// A small API behind the firewall: the authorizer answers 401 to requests WAF lets through.
const users = new cognito.UserPool(stack, 'Users', { removalPolicy: RemovalPolicy.DESTROY });
const api = new SecureRestApi(stack, 'Api', { authorizer: ApiAuthorization.cognito([users]), webAclArn: firewall.webAclArn });
api.addRoute('GetFile', {
  path: '/files/{fileId}',
  method: 'GET',
  handler: new EnhancedLambdaFunction(stack, 'Handler', {
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200, body: "{}" });'),
    alarms: api.alarms,
  }),
});

const integ = new IntegTest(app, 'WebFirewallIntegTest', { testCases: [stack] });
// An association takes a while to reach every WAF endpoint.
const propagation = { totalTimeout: Duration.minutes(5), interval: Duration.seconds(20) };

// The web ACL holds the rate limit, geo block, size limits and managed groups, in order.
integ.assertions.awsApiCall('WAFV2', 'getWebACL', { Name: firewall.webAclName, Scope: 'REGIONAL', Id: firewall.webAcl.attrId })
  .expect(ExpectedResult.objectLike({
    WebACL: Match.objectLike({
      Name: firewall.webAclName,
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({ Name: 'GeoBlock', Priority: 0, Statement: { GeoMatchStatement: Match.objectLike({ CountryCodes: ['KP'] }) } }),
        Match.objectLike({ Name: 'AWSManagedRulesAmazonIpReputationList', Priority: 1 }),
        Match.objectLike({ Name: 'RateLimitPerIp', Priority: 2, Statement: { RateBasedStatement: Match.objectLike({ Limit: 2000, AggregateKeyType: 'IP' }) } }),
        Match.objectLike({ Name: 'AWSManagedRulesAnonymousIpList', Priority: 3 }),
        Match.objectLike({ Name: 'BodySizeLimit', Priority: 4 }),
        Match.objectLike({ Name: 'UriPathLengthLimit', Priority: 5 }),
        Match.objectLike({ Name: 'AWSManagedRulesCommonRuleSet', Priority: 6 }),
        Match.objectLike({ Name: 'AWSManagedRulesKnownBadInputsRuleSet', Priority: 7 }),
        Match.objectLike({ Name: 'AWSManagedRulesSQLiRuleSet', Priority: 8 }),
        Match.objectLike({ Name: 'AWSManagedRulesLinuxRuleSet', Priority: 9 }),
        Match.objectLike({ Name: 'AWSManagedRulesUnixRuleSet', Priority: 10 }),
      ],
    }),
  }));

// Every request is logged to the encrypted log group, with the credential headers redacted.
integ.assertions.awsApiCall('WAFV2', 'getLoggingConfiguration', { ResourceArn: firewall.webAclArn })
  .expect(ExpectedResult.objectLike({
    LoggingConfiguration: Match.objectLike({
      LogDestinationConfigs: [Match.stringLikeRegexp(':log-group:aws-waf-logs-')],
      RedactedFields: [
        { SingleHeader: { Name: 'authorization' } },
        { SingleHeader: { Name: 'cookie' } },
        { SingleHeader: { Name: 'x-api-key' } },
      ],
    }),
  }));

// The API's stage is protected by this web ACL.
integ.assertions.awsApiCall('WAFV2', 'getWebACLForResource', { ResourceArn: api.stage.stageArn })
  .expect(ExpectedResult.objectLike({ WebACL: Match.objectLike({ Name: firewall.webAclName }) }));

// A request WAF accepts reaches the authorizer (401); a URI path above 1 KB is blocked (403).
integ.assertions.httpApiCall(api.urlForPath('/files/report'))
  .expect(ExpectedResult.objectLike({ status: 401 }));
integ.assertions.httpApiCall(api.urlForPath(`/files/${'a'.repeat(1100)}`))
  .expect(ExpectedResult.objectLike({ status: 403 }))
  .waitForAssertions(propagation);

app.synth();
