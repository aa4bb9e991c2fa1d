import {
  ArnFormat,
  Duration,
  Stack,
  Token,
  aws_cloudwatch as cloudwatch,
  aws_iam as iam,
  aws_kms as kms,
  aws_logs as logs,
  aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { ISO_COUNTRY_CODES } from './country-codes';
import { SecureRestApi } from '../api/secure-rest-api';
import { stackRelativeName, uniqueName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { encryptedLogGroup } from '../governance/encrypted-log-group';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';

/** Where a WebFirewall's web ACL can be used. */
export enum WebFirewallScope {
  /** API Gateway stages, load balancers, Cognito user pools... in the stack's region. */
  REGIONAL = 'REGIONAL',
  /** CloudFront distributions; the stack must be in us-east-1. */
  CLOUDFRONT = 'CLOUDFRONT',
}

/** AWS managed rule groups a WebFirewall uses (names as WAF knows them). */
export enum ManagedRuleGroup {
  /** Amazon IP reputation list: bots and known malicious sources. */
  AMAZON_IP_REPUTATION = 'AWSManagedRulesAmazonIpReputationList',
  /** Anonymous IP list: VPNs, Tor, proxies and hosting providers. */
  ANONYMOUS_IP = 'AWSManagedRulesAnonymousIpList',
  /** Core rule set (OWASP Top 10 classes: XSS, LFI, RFI, bad bots...). */
  COMMON = 'AWSManagedRulesCommonRuleSet',
  /** Known bad inputs (Log4j, Java deserialization, localhost host headers...). */
  KNOWN_BAD_INPUTS = 'AWSManagedRulesKnownBadInputsRuleSet',
  /** SQL injection. */
  SQL_INJECTION = 'AWSManagedRulesSQLiRuleSet',
  /** Linux-specific local file inclusion. */
  LINUX = 'AWSManagedRulesLinuxRuleSet',
  /** POSIX / Unix command injection and LFI. */
  UNIX = 'AWSManagedRulesUnixRuleSet',
}

/** A per-IP rate limit on the requests under one path. */
export interface PathRateLimit {
  /** URI path prefix, starting with "/" (1-512 visible ASCII characters). */
  readonly pathPrefix: string;
  /** Requests one client IP may send under the path in 5 minutes (10-2000000000). */
  readonly limit: number;
}

/** Properties of a WebFirewall. */
export interface WebFirewallProps {
  /**
   * Where the web ACL is used. CLOUDFRONT web ACLs must be created in us-east-1.
   * @default WebFirewallScope.REGIONAL
   */
  readonly scope?: WebFirewallScope;
  /**
   * Name of the web ACL (1-128 letters, digits, "_" or "-"); also its CloudWatch metric name.
   * @default - a name derived from the construct path
   */
  readonly webAclName?: string;
  /**
   * Requests one client IP may send in 5 minutes before further requests are blocked.
   * WAF's minimum is 10.
   * @default 2000
   */
  readonly rateLimit?: number;
  /**
   * Tighter per-IP limits for some paths (at most 5), e.g. a public route that checks a password:
   * `[{ pathPrefix: '/v1/api/shares/', limit: 100 }]`. Each is a rate rule of its own, after the
   * general one, counting only requests whose URI path starts with `pathPrefix` (as WAF sees it:
   * for API Gateway REST APIs, with the stage name).
   * @default - none
   */
  readonly pathRateLimits?: PathRateLimit[];
  /**
   * ISO 3166-1 alpha-2 codes of countries whose requests are blocked, e.g. `['KP', 'IR']`.
   * @default - no geo blocking
   */
  readonly blockedCountries?: string[];
  /**
   * Largest request body, in bytes, that is allowed (1-65536). Bodies above 16 KB are inspected
   * only when the web ACL forwards more than the default 16 KB, which the construct configures
   * for API Gateway (REGIONAL) or CloudFront and which WAF bills extra. Load balancers and
   * AppSync forward at most 8 KB, so larger bodies are blocked there. Upload large files with
   * presigned S3 URLs instead of through the API.
   * @default 8192 (as the Common rule set's SizeRestrictions_BODY)
   */
  readonly maxBodySizeBytes?: number;
  /**
   * Longest URI path, in bytes, that is allowed (1-8192).
   * @default 1024 (as the Common rule set's SizeRestrictions_URIPATH)
   */
  readonly maxUriLengthBytes?: number;
  /**
   * Whether the Linux and POSIX (Unix) rule groups run. Turn off only when no backend reads
   * files or runs shell commands with request data, to save WCUs.
   * @default true
   */
  readonly linuxRules?: boolean;
  /**
   * Rules of managed groups set to Count instead of their own action, by group name, e.g.
   * `{ AWSManagedRulesAnonymousIpList: ['HostingProviderIPList'] }` to let server-to-server
   * callers in through cloud providers. Counted matches still show in metrics and logs.
   * @default - every managed rule keeps its action
   */
  readonly countRules?: Record<string, string[]>;
  /**
   * Request headers redacted in the logs, in addition to `authorization`, `cookie` and
   * `x-api-key`, which are always redacted.
   * @default - only the three above
   */
  readonly redactedHeaders?: string[];
  /**
   * Key encrypting the log group. It must let CloudWatch Logs use it.
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Retention of the log group.
   * @default - the EnvironmentConfig's logRetention
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Blocked requests in 5 minutes that raise the blocked-requests alarm.
   * @default 100
   */
  readonly blockedRequestsThreshold?: number;
  /**
   * AlarmSet for the blocked-requests alarm.
   * @default - a new AlarmSet named after the construct
   */
  readonly alarms?: AlarmSet;
}

// Headers that carry credentials: never written to the logs.
const ALWAYS_REDACTED = ['authorization', 'cookie', 'x-api-key'];
const RATE_LIMIT_MIN = 10;
const RATE_LIMIT_MAX = 2_000_000_000;
// Default body size API Gateway and CloudFront forward to WAF; up to 64 KB costs extra.
const DEFAULT_BODY_INSPECTION = 16 * 1024;
const MAX_BODY_INSPECTION = 64 * 1024;

/**
 * A WAFv2 web ACL with production defaults: the AWS managed rule groups Common, Known bad
 * inputs, SQL injection, Linux and Unix, Amazon IP reputation and Anonymous IP list; a
 * rate-based rule per client IP; optional geo blocking; size limits on the request body and
 * URI path; CloudWatch metrics and sampled requests on every rule; logging of every request to
 * a KMS-encrypted log group with credentials headers redacted; and an alarm on blocked
 * requests. Associate it with a SecureRestApi through the API's `webAclArn` prop or `associate()`.
 *
 * Rule order: geo block, IP reputation, rate limit, anonymous IPs, size limits, then the
 * content-inspecting groups, so cheap decisions come first.
 */
export class WebFirewall extends Construct {
  /** The web ACL. */
  public readonly webAcl: wafv2.CfnWebACL;
  /** ARN of the web ACL (for SecureRestApi's `webAclArn`). */
  public readonly webAclArn: string;
  /** Name of the web ACL, also its metric name (the `WebACL` metric dimension). */
  public readonly webAclName: string;
  /** Where the web ACL can be used. */
  public readonly scope: WebFirewallScope;
  /** Requests per client IP per 5 minutes before blocking. */
  public readonly rateLimit: number;
  /** Log group (`aws-waf-logs-...`) receiving every request WAF evaluates. */
  public readonly logGroup: logs.LogGroup;
  /** The logging configuration of the web ACL. */
  public readonly loggingConfiguration: wafv2.CfnLoggingConfiguration;
  /** Key of the log group. */
  public readonly encryptionKey: kms.IKey;
  /** The AlarmSet holding the blocked-requests alarm. */
  public readonly alarms: AlarmSet;
  /** Alarm on blocked requests of the whole web ACL. */
  public readonly blockedRequestsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WebFirewallProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.scope = props.scope ?? WebFirewallScope.REGIONAL;
    this.rateLimit = props.rateLimit ?? 2000;
    const linuxRules = props.linuxRules ?? true;
    const maxBody = props.maxBodySizeBytes ?? 8192;
    const managedGroups = [
      ManagedRuleGroup.AMAZON_IP_REPUTATION, ManagedRuleGroup.ANONYMOUS_IP, ManagedRuleGroup.COMMON,
      ManagedRuleGroup.KNOWN_BAD_INPUTS, ManagedRuleGroup.SQL_INJECTION,
      ...(linuxRules ? [ManagedRuleGroup.LINUX, ManagedRuleGroup.UNIX] : []),
    ];
    validate(this, stack, this.scope, this.rateLimit, managedGroups, props);
    this.webAclName = props.webAclName ?? uniqueName(this, 128);
    const countRules = props.countRules ?? {};
    const blockedCountries = [...new Set(props.blockedCountries ?? [])];

    const rules: wafv2.CfnWebACL.RuleProperty[] = [];
    const addRule = (name: string, statement: wafv2.CfnWebACL.StatementProperty, managed: boolean) => {
      rules.push({
        name,
        priority: rules.length,
        statement,
        ...(managed ? { overrideAction: { none: {} } } : { action: { block: {} } }),
        visibilityConfig: visibility(name),
      });
    };
    const addManaged = (group: ManagedRuleGroup, alwaysCounted: string[] = []) => {
      const counted = [...new Set([...alwaysCounted, ...(countRules[group] ?? [])])];
      addRule(group, {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name: group,
          ruleActionOverrides: counted.length > 0 ? counted.map((name) => ({ name, actionToUse: { count: {} } })) : undefined,
        },
      }, true);
    };

    if (blockedCountries.length > 0) {
      addRule('GeoBlock', { geoMatchStatement: { countryCodes: blockedCountries } }, false);
    }
    addManaged(ManagedRuleGroup.AMAZON_IP_REPUTATION);
    addRule('RateLimitPerIp', {
      rateBasedStatement: { limit: this.rateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 },
    }, false);
    (props.pathRateLimits ?? []).forEach((p, i) => addRule(`RateLimitPath${i}`, {
      rateBasedStatement: {
        limit: p.limit,
        aggregateKeyType: 'IP',
        evaluationWindowSec: 300,
        scopeDownStatement: {
          byteMatchStatement: {
            fieldToMatch: { uriPath: {} },
            positionalConstraint: 'STARTS_WITH',
            searchString: p.pathPrefix,
            textTransformations: [{ priority: 0, type: 'NONE' }],
          },
        },
      },
    }, false));
    addManaged(ManagedRuleGroup.ANONYMOUS_IP);
    // MATCH: a body larger than WAF inspects is larger than the limit too.
    addRule('BodySizeLimit', sizeAbove({ body: { oversizeHandling: 'MATCH' } }, maxBody), false);
    addRule('UriPathLengthLimit', sizeAbove({ uriPath: {} }, props.maxUriLengthBytes ?? 1024), false);
    // The two size rules above replace the Common set's fixed 8 KB / 1 KB limits, so the
    // configured limits are the ones in force.
    addManaged(ManagedRuleGroup.COMMON, ['SizeRestrictions_BODY', 'SizeRestrictions_URIPATH']);
    addManaged(ManagedRuleGroup.KNOWN_BAD_INPUTS);
    addManaged(ManagedRuleGroup.SQL_INJECTION);
    if (linuxRules) {
      addManaged(ManagedRuleGroup.LINUX);
      addManaged(ManagedRuleGroup.UNIX);
    }

    const inspectionKb = Math.ceil(maxBody / DEFAULT_BODY_INSPECTION) * 16;
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: this.webAclName,
      // WAF allows few characters in descriptions.
      description: `WebFirewall ${this.node.path}`.replace(/[^A-Za-z0-9+=:#@/,. -]/g, '-').slice(0, 256),
      scope: this.scope,
      defaultAction: { allow: {} },
      // The metric name equals the web ACL name, so the WebACL metric dimension is its name.
      visibilityConfig: visibility(this.webAclName),
      rules,
      associationConfig: maxBody > DEFAULT_BODY_INSPECTION ? {
        requestBody: {
          [this.scope === WebFirewallScope.CLOUDFRONT ? 'CLOUDFRONT' : 'API_GATEWAY']: { defaultSizeInspectionLimit: `KB_${inspectionKb}` },
        },
      } : undefined,
    });
    this.webAclArn = this.webAcl.attrArn;

    this.encryptionKey = props.encryptionKey ?? defaultKey(this);
    // WAF only delivers to log groups whose name starts with aws-waf-logs-.
    const logGroupName = `aws-waf-logs-${uniqueName(this, 200)}`;
    this.logGroup = encryptedLogGroup(this, 'Logs', { logGroupName, encryptionKey: this.encryptionKey, retention: props.logRetention });
    // WAF delivers through the log delivery service, which needs this resource policy. Declared
    // here, scoped to this log group, rather than left to WAF to append to a shared policy
    // (which hits the 5120-character limit); it is one of the region's 10 resource policies.
    const deliveryPolicy = new logs.ResourcePolicy(this, 'LogDeliveryPolicy', {
      policyStatements: [new iam.PolicyStatement({
        sid: 'WafLogDelivery',
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroupArn(stack, `${logGroupName}:log-stream:*`)],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'logs', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }) },
        },
      })],
    });
    this.loggingConfiguration = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAclArn,
      // WAF wants the log group ARN without the trailing ":*" of the Arn attribute.
      logDestinationConfigs: [logGroupArn(stack, logGroupName)],
      redactedFields: [...new Set([...ALWAYS_REDACTED, ...(props.redactedHeaders ?? []).map((h) => h.toLowerCase())])]
        .map((name) => ({ singleHeader: { Name: name } })),
    });
    this.loggingConfiguration.node.addDependency(this.logGroup, deliveryPolicy);

    this.alarms = alarmSetFor(this, props.alarms);
    const threshold = props.blockedRequestsThreshold ?? 100;
    this.blockedRequestsAlarm = this.alarms.addMetricAlarm(props.alarms ? `${stackRelativeName(this, 64, '')}BlockedRequests` : 'BlockedRequests', {
      metric: new cloudwatch.Metric({
        namespace: 'AWS/WAFV2',
        metricName: 'BlockedRequests',
        // CloudFront web ACLs report without the Region dimension.
        dimensionsMap: this.scope === WebFirewallScope.CLOUDFRONT
          ? { WebACL: this.webAclName, Rule: 'ALL' }
          : { WebACL: this.webAclName, Region: stack.region, Rule: 'ALL' },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      threshold,
      description: `${this.node.path}: ${threshold} or more requests blocked in 5 minutes (attack or false positives: check the WAF logs)`,
    });
  }

  /**
   * Associates the web ACL with the stage of `api`, in the API's stack. Same result as passing
   * `webAclArn` to the API, whose association this returns when it already names this web ACL;
   * a stage has one web ACL, so another one is an error. Prefer the `webAclArn` prop: an API
   * built without it has acknowledged the missing WAF (AwsSolutions-APIG3 and the NIST/PCI
   * APIGWAssociatedWithWAF rules) at construction; after `associate()` those rules pass on
   * their own, and the acknowledgement only stays recorded.
   */
  public associate(api: SecureRestApi): wafv2.CfnWebACLAssociation {
    const v = new PropsValidator('WebFirewall', this);
    v.check(this.scope === WebFirewallScope.REGIONAL, 'scope', this.scope,
      'REGIONAL to associate with an API stage (CloudFront distributions take the web ACL ARN as their webAclId)');
    const stack = Stack.of(api);
    const existing = api.webAclAssociation
      ?? api.node.tryFindChild(ASSOCIATION_ID) as wafv2.CfnWebACLAssociation | undefined;
    if (existing) {
      const same = JSON.stringify(stack.resolve(existing.webAclArn)) === JSON.stringify(stack.resolve(this.webAclArn));
      v.check(same, 'associate(api)', api.node.path, 'a SecureRestApi without another web ACL (a stage has exactly one)');
      return existing;
    }
    // Same id as SecureRestApi's own association: switching between the prop and this helper
    // keeps the logical id, and cdk-nag finds the association in the stage's stack.
    return new wafv2.CfnWebACLAssociation(api, ASSOCIATION_ID, {
      resourceArn: api.stage.stageArn,
      webAclArn: this.webAclArn,
    });
  }
}

const ASSOCIATION_ID = 'WebAclAssociation';

function visibility(metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName };
}

function sizeAbove(fieldToMatch: wafv2.CfnWebACL.FieldToMatchProperty, size: number): wafv2.CfnWebACL.StatementProperty {
  return {
    sizeConstraintStatement: {
      fieldToMatch,
      comparisonOperator: 'GT',
      size,
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  };
}

function logGroupArn(stack: Stack, resourceName: string): string {
  return stack.formatArn({ service: 'logs', resource: 'log-group', resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

function validate(construct: IConstruct, stack: Stack, scope: WebFirewallScope, rateLimit: number, groups: string[], props: WebFirewallProps): void {
  const v = new PropsValidator('WebFirewall', construct);
  if (scope === WebFirewallScope.CLOUDFRONT && !Token.isUnresolved(stack.region)) {
    v.check(stack.region === 'us-east-1', 'scope', `CLOUDFRONT in ${stack.region}`,
      'REGIONAL outside us-east-1 (CloudFront web ACLs exist only in us-east-1; put the firewall in a us-east-1 stack)');
  }
  v.matches('webAclName', props.webAclName, /^[A-Za-z0-9_-]{1,128}$/, '1-128 letters, digits, "_" or "-"');
  if (!Token.isUnresolved(rateLimit)) {
    v.check(Number.isInteger(rateLimit) && rateLimit >= RATE_LIMIT_MIN && rateLimit <= RATE_LIMIT_MAX, 'rateLimit', rateLimit,
      `an integer ${RATE_LIMIT_MIN}-${RATE_LIMIT_MAX} (requests per client IP per 5 minutes; ${RATE_LIMIT_MIN} is the WAF minimum)`);
  }
  const paths = props.pathRateLimits ?? [];
  v.check(paths.length <= 5, 'pathRateLimits', `${paths.length} entries`, 'at most 5 entries');
  for (const p of paths) {
    if (!Token.isUnresolved(p.pathPrefix)) {
      v.matches('pathRateLimits.pathPrefix', p.pathPrefix, /^\/[\x21-\x7e]{0,511}$/, 'a URI path prefix starting with "/" (1-512 visible ASCII characters)');
    }
    if (!Token.isUnresolved(p.limit)) {
      v.check(Number.isInteger(p.limit) && p.limit >= RATE_LIMIT_MIN && p.limit <= RATE_LIMIT_MAX, 'pathRateLimits.limit', p.limit,
        `an integer ${RATE_LIMIT_MIN}-${RATE_LIMIT_MAX} (requests per client IP per 5 minutes)`);
    }
  }
  for (const code of props.blockedCountries ?? []) {
    if (Token.isUnresolved(code)) continue;
    v.check(ISO_COUNTRY_CODES.has(code), 'blockedCountries', code,
      'ISO 3166-1 alpha-2 country codes in upper case, such as "GB" or "KP" (not "UK" or "EU")');
  }
  v.range('maxBodySizeBytes', props.maxBodySizeBytes, 1, MAX_BODY_INSPECTION);
  v.range('maxUriLengthBytes', props.maxUriLengthBytes, 1, 8192);
  for (const [group, ruleNames] of Object.entries(props.countRules ?? {})) {
    v.check(groups.includes(group), 'countRules', group, `keyed by a rule group of this web ACL (${groups.join(', ')})`);
    for (const rule of ruleNames) {
      v.matches(`countRules.${group}`, rule, /^[A-Za-z0-9_-]{1,128}$/, 'rule names of the group (letters, digits, "_" or "-")');
    }
  }
  for (const header of props.redactedHeaders ?? []) {
    v.matches('redactedHeaders', header, /^[A-Za-z0-9-]{1,64}$/, 'header names (letters, digits, "-")');
  }
  v.atLeast('blockedRequestsThreshold', props.blockedRequestsThreshold, 1);
}
