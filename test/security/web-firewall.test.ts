import { Stack, Validations, aws_cognito as cognito, aws_lambda as lambda, aws_logs as logs, aws_wafv2 as wafv2 } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { NagRuleCompliance, rules } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ApiAuthorization, SecureRestApi } from '../../src/api';
import { EnhancedLambdaFunction } from '../../src/compute';
import { AlarmSet } from '../../src/monitoring';
import { ManagedRuleGroup, WebFirewall, WebFirewallProps, WebFirewallScope } from '../../src/security/web-firewall';
import { NagFinding, formatFindings, nagFindings, testApp, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

const CODE = lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200, body: "{}" })');

interface Rule {
  Name: string;
  Priority: number;
  Statement: any;
  Action?: any;
  OverrideAction?: any;
  VisibilityConfig: any;
}

function webAclRules(template: Template): Rule[] {
  const acls = Object.values(template.findResources('AWS::WAFv2::WebACL'));
  expect(acls).toHaveLength(1);
  return acls[0].Properties.Rules;
}

function ruleNamed(template: Template, name: string): Rule {
  const rule = webAclRules(template).find((r) => r.Name === name);
  if (!rule) throw new Error(`no rule ${name}`);
  return rule;
}

function logGroupName(template: Template): string {
  const groups = Object.values(template.findResources('AWS::Logs::LogGroup', { Properties: { LogGroupName: Match.stringLikeRegexp('^aws-waf-logs-') } }));
  expect(groups).toHaveLength(1);
  return groups[0].Properties.LogGroupName;
}

/** A Fn::Join of strings and AWS::Partition as text (partition "aws"). */
function flatten(value: any): string {
  if (typeof value === 'string') return value;
  return value['Fn::Join'][1].map((part: any) => (typeof part === 'string' ? part : 'aws')).join('');
}

/** Acknowledged rule ids recorded on a construct (what cdk-nag skips there). */
function acknowledgedRules(c: IConstruct): string[] {
  return c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.keys(m.data as object))
    .map((k) => k.replace(/^annotation::/i, ''))
    .sort();
}

function api(stack: Stack, id: string, webAclArn?: string, alarms?: AlarmSet): SecureRestApi {
  const pool = cognito.UserPool.fromUserPoolId(stack, `${id}Pool`, 'eu-west-1_abc123');
  const restApi = new SecureRestApi(stack, id, { authorizer: ApiAuthorization.cognito([pool]), webAclArn, alarms });
  restApi.addRoute('GetFile', {
    path: `/${id.toLowerCase()}/{fileId}`,
    method: 'GET',
    handler: new EnhancedLambdaFunction(stack, `${id}Fn`, { code: CODE, alarms: restApi.alarms }),
  });
  return restApi;
}

describe('WebFirewall with default props', () => {
  let stack: Stack;
  let firewall: WebFirewall;
  let template: Template;
  let findings: NagFinding[];

  beforeAll(() => {
    stack = testStack(testApp());
    firewall = new WebFirewall(stack, 'Firewall');
    findings = nagFindings(stack);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expect(formatFindings(findings)).toBe('');
  });

  test('is a REGIONAL web ACL that allows what no rule blocks, with metrics and sampled requests', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Name: firewall.webAclName,
      DefaultAction: { Allow: {} },
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: firewall.webAclName },
      AssociationConfig: Match.absent(),
    });
    expect(firewall.webAclName).toMatch(/^Test-Firewall-[0-9A-F]{8}$/);
    expect(firewall.scope).toBe(WebFirewallScope.REGIONAL);
  });

  test('rules run in order, with unique priorities, metrics and sampled requests on each', () => {
    const all = webAclRules(template);
    expect(all.map((r) => r.Name)).toEqual([
      'AWSManagedRulesAmazonIpReputationList',
      'RateLimitPerIp',
      'AWSManagedRulesAnonymousIpList',
      'BodySizeLimit',
      'UriPathLengthLimit',
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
      'AWSManagedRulesSQLiRuleSet',
      'AWSManagedRulesLinuxRuleSet',
      'AWSManagedRulesUnixRuleSet',
    ]);
    expect(all.map((r) => r.Priority)).toEqual(all.map((_, i) => i));
    for (const r of all) {
      expect(r.VisibilityConfig).toEqual({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: r.Name });
    }
  });

  test('managed groups are AWS\'s, keep their own actions, and only the Common set\'s size rules are counted', () => {
    const managed = webAclRules(template).filter((r) => r.Statement.ManagedRuleGroupStatement);
    expect(managed).toHaveLength(7);
    for (const r of managed) {
      expect(r.Statement.ManagedRuleGroupStatement).toMatchObject({ VendorName: 'AWS', Name: r.Name });
      expect(r.OverrideAction).toEqual({ None: {} });
      expect(r.Action).toBeUndefined();
    }
    expect(ruleNamed(template, 'AWSManagedRulesCommonRuleSet').Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
      { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
      { Name: 'SizeRestrictions_URIPATH', ActionToUse: { Count: {} } },
    ]);
    for (const r of managed.filter((m) => m.Name !== 'AWSManagedRulesCommonRuleSet')) {
      expect(r.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toBeUndefined();
    }
  });

  test('blocks more than 2000 requests per client IP in 5 minutes', () => {
    expect(ruleNamed(template, 'RateLimitPerIp')).toMatchObject({
      Action: { Block: {} },
      Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
    });
  });

  test('blocks bodies above 8 KB (oversize bodies match) and URI paths above 1 KB', () => {
    expect(ruleNamed(template, 'BodySizeLimit')).toMatchObject({
      Action: { Block: {} },
      Statement: {
        SizeConstraintStatement: {
          FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
          ComparisonOperator: 'GT',
          Size: 8192,
          TextTransformations: [{ Priority: 0, Type: 'NONE' }],
        },
      },
    });
    expect(ruleNamed(template, 'UriPathLengthLimit')).toMatchObject({
      Action: { Block: {} },
      Statement: { SizeConstraintStatement: { FieldToMatch: { UriPath: {} }, ComparisonOperator: 'GT', Size: 1024 } },
    });
  });

  test('has no geo blocking', () => {
    expect(webAclRules(template).filter((r) => r.Statement.GeoMatchStatement)).toEqual([]);
  });

  test('logs every request to an encrypted aws-waf-logs- group with credential headers redacted', () => {
    const name = logGroupName(template);
    expect(name).toMatch(/^aws-waf-logs-Test-Firewall-[0-9A-F]{8}$/);
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FirewallWebAcl'), 'Arn'] },
      // the ARN without the ":*" the log group's Arn attribute ends with
      LogDestinationConfigs: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:eu-west-1:123456789012:log-group:${name}`]] }],
      RedactedFields: [
        { SingleHeader: { Name: 'authorization' } },
        { SingleHeader: { Name: 'cookie' } },
        { SingleHeader: { Name: 'x-api-key' } },
      ],
      LoggingFilter: Match.absent(),
    });
    const [logGroup] = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(logGroup.Properties.KmsKeyId['Fn::GetAtt'][0]).toMatch(/^CloudVaultDefaultKey/);
    expect(logGroup.Properties.RetentionInDays).toBe(365);
    expect(logGroup.DeletionPolicy).toBe('Retain');
  });

  test('lets only the log delivery service of this account write to the log group, before logging starts', () => {
    const [[policyId, policy]] = Object.entries(template.findResources('AWS::Logs::ResourcePolicy'));
    const doc = JSON.parse(flatten(policy.Properties.PolicyDocument));
    expect(doc.Statement).toEqual([{
      Sid: 'WafLogDelivery',
      Effect: 'Allow',
      Principal: { Service: 'delivery.logs.amazonaws.com' },
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `arn:aws:logs:eu-west-1:123456789012:log-group:${logGroupName(template)}:log-stream:*`,
      Condition: {
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: { 'aws:SourceArn': 'arn:aws:logs:eu-west-1:123456789012:*' },
      },
    }]);
    const [logging] = Object.values(template.findResources('AWS::WAFv2::LoggingConfiguration'));
    expect(logging.DependsOn).toEqual(expect.arrayContaining([policyId, expect.stringMatching(/^FirewallLogs/)]));
  });

  test('lets CloudWatch Logs use the key', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logs.eu-west-1.amazonaws.com' } })]) },
    });
  });

  test('alarms when 100 requests are blocked in 5 minutes, on the whole web ACL in its region', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Test-Firewall-BlockedRequests',
      Namespace: 'AWS/WAFV2',
      MetricName: 'BlockedRequests',
      Dimensions: [
        { Name: 'Region', Value: 'eu-west-1' },
        { Name: 'Rule', Value: 'ALL' },
        { Name: 'WebACL', Value: firewall.webAclName },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 100,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^CloudVaultAlarmTopic') }], // the stack's shared alarm topic
    });
    expect(firewall.alarms.alarms).toEqual([firewall.blockedRequestsAlarm]);
  });
});

describe('WebFirewall with a rich configuration, and SecureRestApis associated both ways', () => {
  let stack: Stack;
  let firewall: WebFirewall;
  let viaProp: SecureRestApi;
  let viaHelper: SecureRestApi;
  let association: wafv2.CfnWebACLAssociation;
  let shared: AlarmSet;
  let template: Template;
  let findings: NagFinding[];

  beforeAll(() => {
    stack = testStack(testApp());
    shared = new AlarmSet(stack, 'Platform');
    const key = testKey(stack, 'LogKey', { enableKeyRotation: true });
    firewall = new WebFirewall(stack, 'Firewall', {
      webAclName: 'platform-api',
      rateLimit: 500,
      blockedCountries: ['KP', 'IR', 'KP'],
      maxBodySizeBytes: 40_000,
      maxUriLengthBytes: 2048,
      linuxRules: false,
      countRules: { [ManagedRuleGroup.ANONYMOUS_IP]: ['HostingProviderIPList'], AWSManagedRulesCommonRuleSet: ['NoUserAgent_HEADER'] },
      redactedHeaders: ['X-Session-Token'],
      encryptionKey: key,
      logRetention: logs.RetentionDays.EIGHTEEN_MONTHS,
      blockedRequestsThreshold: 500,
      alarms: shared,
    });
    viaProp = api(stack, 'FilesApi', firewall.webAclArn, shared);
    viaHelper = api(stack, 'AdminApi', undefined, shared);
    association = firewall.associate(viaHelper);
    findings = nagFindings(stack);
    template = Template.fromStack(stack);
  });

  test('the stack (firewall and both APIs) is nag-clean under all five packs', () => {
    expect(formatFindings(findings)).toBe('');
  });

  test('the API given webAclArn needs no WAF acknowledgement', () => {
    const acks = acknowledgedRules(viaProp.stage.node.defaultChild!);
    expect(acks.length).toBeGreaterThan(0); // the cache choice, which has nothing to do with WAF
    for (const id of ['AwsSolutions-APIG3', 'NIST.800.53.R5-APIGWAssociatedWithWAF', 'PCI.DSS.321-APIGWAssociatedWithWAF']) {
      expect(acks).not.toContain(id);
    }
    expect(viaProp.webAclAssociation).toBeDefined();
  });

  test('after associate(), the WAF rule passes on its own for the stage', () => {
    const cfnStage = viaHelper.stage.node.defaultChild as any;
    expect(rules.apigw.APIGWAssociatedWithWAF(cfnStage)).toBe(NagRuleCompliance.COMPLIANT);
    expect(rules.apigw.APIGWAssociatedWithWAF(viaProp.stage.node.defaultChild as any)).toBe(NagRuleCompliance.COMPLIANT);
    // The API built without webAclArn keeps the acknowledgement it recorded at construction.
    expect(acknowledgedRules(cfnStage)).toEqual(expect.arrayContaining(['AwsSolutions-APIG3']));
  });

  test('associates each stage exactly once with this web ACL', () => {
    const associations = Object.values(template.findResources('AWS::WAFv2::WebACLAssociation'));
    expect(associations).toHaveLength(2);
    for (const a of associations) {
      expect(a.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^FirewallWebAcl/), 'Arn'] });
    }
    expect(association.node.path).toBe('Test/AdminApi/WebAclAssociation');
    expect(stack.resolve(association.resourceArn)).toEqual(stack.resolve(viaHelper.stage.stageArn));
    // associate() again, or on the API that got webAclArn, returns the existing association.
    expect(firewall.associate(viaHelper)).toBe(association);
    expect(firewall.associate(viaProp)).toBe(viaProp.webAclAssociation);
  });

  test('refuses to put a second web ACL on a stage', () => {
    const other = new WebFirewall(testStack(testApp(), 'Other'), 'Other');
    expect(() => other.associate(viaHelper)).toThrow(
      'WebFirewall "Other" (Other/Other): associate(api) must be a SecureRestApi without another web ACL (a stage has exactly one), got "Test/AdminApi"');
  });

  test('uses the given name, rate limit, size limits and counted rules', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', { Name: 'platform-api', VisibilityConfig: Match.objectLike({ MetricName: 'platform-api' }) });
    expect(ruleNamed(template, 'RateLimitPerIp').Statement.RateBasedStatement.Limit).toBe(500);
    expect(ruleNamed(template, 'BodySizeLimit').Statement.SizeConstraintStatement.Size).toBe(40_000);
    expect(ruleNamed(template, 'UriPathLengthLimit').Statement.SizeConstraintStatement.Size).toBe(2048);
    expect(ruleNamed(template, 'AWSManagedRulesAnonymousIpList').Statement.ManagedRuleGroupStatement.RuleActionOverrides)
      .toEqual([{ Name: 'HostingProviderIPList', ActionToUse: { Count: {} } }]);
    expect(ruleNamed(template, 'AWSManagedRulesCommonRuleSet').Statement.ManagedRuleGroupStatement.RuleActionOverrides.map((o: any) => o.Name))
      .toEqual(['SizeRestrictions_BODY', 'SizeRestrictions_URIPATH', 'NoUserAgent_HEADER']);
  });

  test('forwards up to 48 KB of API Gateway bodies so the 40 000-byte limit can be inspected', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_48' } } },
    });
  });

  test('blocks the listed countries first, once each', () => {
    const all = webAclRules(template);
    expect(all[0]).toMatchObject({
      Name: 'GeoBlock',
      Priority: 0,
      Action: { Block: {} },
      Statement: { GeoMatchStatement: { CountryCodes: ['KP', 'IR'] } },
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: 'GeoBlock' },
    });
    expect(new Set(all.map((r) => r.Priority)).size).toBe(all.length);
  });

  test('leaves out the Linux and Unix groups when linuxRules is false', () => {
    const names = webAclRules(template).map((r) => r.Name);
    expect(names).not.toContain('AWSManagedRulesLinuxRuleSet');
    expect(names).not.toContain('AWSManagedRulesUnixRuleSet');
    expect(names).toHaveLength(9);
  });

  test('redacts the extra headers (lower case) besides the credential headers', () => {
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [
        { SingleHeader: { Name: 'authorization' } },
        { SingleHeader: { Name: 'cookie' } },
        { SingleHeader: { Name: 'x-api-key' } },
        { SingleHeader: { Name: 'x-session-token' } },
      ],
    });
  });

  test('encrypts the logs with the given key and keeps them for the given retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^aws-waf-logs-'),
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LogKey'), 'Arn'] },
      RetentionInDays: 545,
    });
    expect(firewall.encryptionKey.node.path).toBe('Test/LogKey');
  });

  test('puts its alarm, with the given threshold, in the shared AlarmSet', () => {
    expect(shared.alarms).toContain(firewall.blockedRequestsAlarm);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Test-Platform-FirewallBlockedRequests',
      Threshold: 500,
      Dimensions: Match.arrayWith([{ Name: 'WebACL', Value: 'platform-api' }]),
    });
    expect(firewall.node.tryFindChild('Alarms')).toBeUndefined();
  });
});

describe('WebFirewall for CloudFront', () => {
  let firewall: WebFirewall;
  let template: Template;

  beforeAll(() => {
    const stack = new Stack(testApp(), 'Edge', { env: { account: '123456789012', region: 'us-east-1' } });
    firewall = new WebFirewall(stack, 'Firewall', { scope: WebFirewallScope.CLOUDFRONT, maxBodySizeBytes: 65536 });
    template = Template.fromStack(stack);
  });

  test('is a CLOUDFRONT web ACL forwarding 64 KB bodies from CloudFront', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      AssociationConfig: { RequestBody: { CLOUDFRONT: { DefaultSizeInspectionLimit: 'KB_64' } } },
    });
  });

  test('alarms on the metric without a Region dimension, as CloudFront web ACLs report it', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'BlockedRequests',
      Dimensions: [{ Name: 'Rule', Value: 'ALL' }, { Name: 'WebACL', Value: firewall.webAclName }],
    });
  });

  test('cannot be associated with an API stage', () => {
    const stack = testStack(testApp(), 'Apis');
    const restApi = api(stack, 'Api');
    expect(() => firewall.associate(restApi)).toThrow(
      'WebFirewall "Firewall" (Edge/Firewall): scope must be REGIONAL to associate with an API stage (CloudFront distributions take the web ACL ARN as their webAclId), got "CLOUDFRONT"');
  });
});

describe('WebFirewall prop validation', () => {
  const make = (props: WebFirewallProps, region = 'eu-west-1') => () =>
    new WebFirewall(new Stack(testApp(), 'V', { env: { account: '123456789012', region } }), 'Firewall', props);

  test('rate limit below the WAF minimum of 10', () => {
    expect(make({ rateLimit: 9 })).toThrow(
      'WebFirewall "Firewall" (V/Firewall): rateLimit must be an integer 10-2000000000 (requests per client IP per 5 minutes; 10 is the WAF minimum), got 9');
    expect(make({ rateLimit: 100.5 })).toThrow('rateLimit must be an integer 10-2000000000');
    expect(make({ rateLimit: 10 })).not.toThrow();
  });

  test('unknown country codes', () => {
    expect(make({ blockedCountries: ['KP', 'UK'] })).toThrow(
      'WebFirewall "Firewall" (V/Firewall): blockedCountries must be ISO 3166-1 alpha-2 country codes in upper case, such as "GB" or "KP" (not "UK" or "EU"), got "UK"');
    expect(make({ blockedCountries: ['kp'] })).toThrow('blockedCountries must be ISO 3166-1 alpha-2 country codes in upper case');
    expect(make({ blockedCountries: ['GB', 'XK', 'AQ'] })).not.toThrow();
  });

  test('body size limit range', () => {
    expect(make({ maxBodySizeBytes: 0 })).toThrow('WebFirewall "Firewall" (V/Firewall): maxBodySizeBytes must be an integer 1-65536, got 0');
    expect(make({ maxBodySizeBytes: 65537 })).toThrow('WebFirewall "Firewall" (V/Firewall): maxBodySizeBytes must be an integer 1-65536, got 65537');
    expect(make({ maxUriLengthBytes: 9000 })).toThrow('WebFirewall "Firewall" (V/Firewall): maxUriLengthBytes must be an integer 1-8192, got 9000');
  });

  test('CLOUDFRONT scope only in us-east-1 (when the region is known)', () => {
    expect(make({ scope: WebFirewallScope.CLOUDFRONT })).toThrow(
      'WebFirewall "Firewall" (V/Firewall): scope must be REGIONAL outside us-east-1 (CloudFront web ACLs exist only in us-east-1; put the firewall in a us-east-1 stack), got "CLOUDFRONT in eu-west-1"');
    expect(make({ scope: WebFirewallScope.CLOUDFRONT }, 'us-east-1')).not.toThrow();
    expect(() => new WebFirewall(new Stack(testApp(), 'Agnostic'), 'Firewall', { scope: WebFirewallScope.CLOUDFRONT })).not.toThrow();
  });

  test('web ACL name, counted rules, redacted headers and alarm threshold', () => {
    expect(make({ webAclName: 'my acl' })).toThrow('WebFirewall "Firewall" (V/Firewall): webAclName must be 1-128 letters, digits, "_" or "-", got "my acl"');
    expect(make({ linuxRules: false, countRules: { AWSManagedRulesLinuxRuleSet: ['LFI_URIPATH'] } })).toThrow(
      'WebFirewall "Firewall" (V/Firewall): countRules must be keyed by a rule group of this web ACL (AWSManagedRulesAmazonIpReputationList, AWSManagedRulesAnonymousIpList, AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet, AWSManagedRulesSQLiRuleSet), got "AWSManagedRulesLinuxRuleSet"');
    expect(make({ countRules: { AWSManagedRulesCommonRuleSet: ['No User Agent'] } })).toThrow(
      'WebFirewall "Firewall" (V/Firewall): countRules.AWSManagedRulesCommonRuleSet must be rule names of the group (letters, digits, "_" or "-"), got "No User Agent"');
    expect(make({ redactedHeaders: ['x_token'] })).toThrow('WebFirewall "Firewall" (V/Firewall): redactedHeaders must be header names (letters, digits, "-"), got "x_token"');
    expect(make({ blockedRequestsThreshold: 0 })).toThrow('WebFirewall "Firewall" (V/Firewall): blockedRequestsThreshold must be a number >= 1, got 0');
  });
});

describe('WebFirewall with per-path rate limits', () => {
  let template: Template;
  let stack: Stack;
  beforeAll(() => {
    stack = testStack(testApp(), 'PathLimits');
    new WebFirewall(stack, 'Firewall', { pathRateLimits: [{ pathPrefix: '/v1/api/shares/', limit: 100 }] });
    template = Template.fromStack(stack);
  });

  test('adds a rate rule per path after the general one, counting only that path', () => {
    const names = webAclRules(template).map((r) => r.Name);
    expect(names.indexOf('RateLimitPath0')).toBe(names.indexOf('RateLimitPerIp') + 1);
    expect(ruleNamed(template, 'RateLimitPath0')).toMatchObject({
      Action: { Block: {} },
      Statement: {
        RateBasedStatement: {
          Limit: 100,
          AggregateKeyType: 'IP',
          EvaluationWindowSec: 300,
          ScopeDownStatement: {
            ByteMatchStatement: { FieldToMatch: { UriPath: {} }, PositionalConstraint: 'STARTS_WITH', SearchString: '/v1/api/shares/', TextTransformations: [{ Priority: 0, Type: 'NONE' }] },
          },
        },
      },
    });
    expect(ruleNamed(template, 'RateLimitPerIp').Statement.RateBasedStatement.Limit).toBe(2000);
  });

  test('is nag-clean under all five packs', () => {
    expect(formatFindings(nagFindings(stack))).toBe('');
  });

  test('validates the paths and limits', () => {
    const make = (pathRateLimits: { pathPrefix: string; limit: number }[]) => () =>
      new WebFirewall(new Stack(testApp(), 'V'), 'Firewall', { pathRateLimits });
    expect(make([{ pathPrefix: 'api/shares', limit: 100 }])).toThrow(
      'WebFirewall "Firewall" (V/Firewall): pathRateLimits.pathPrefix must be a URI path prefix starting with "/" (1-512 visible ASCII characters), got "api/shares"');
    expect(make([{ pathPrefix: '/api/shares/', limit: 5 }])).toThrow(
      'WebFirewall "Firewall" (V/Firewall): pathRateLimits.limit must be an integer 10-2000000000 (requests per client IP per 5 minutes), got 5');
    expect(make(Array.from({ length: 6 }, (_, i) => ({ pathPrefix: `/p${i}`, limit: 10 })))).toThrow(
      'WebFirewall "Firewall" (V/Firewall): pathRateLimits must be at most 5 entries, got "6 entries"');
    expect(make([{ pathPrefix: '/api/shares/', limit: 10 }])).not.toThrow();
  });
});
