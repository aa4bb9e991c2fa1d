import {
  Annotations,
  Duration,
  Stack,
  Token,
  aws_cloudwatch as cloudwatch,
  aws_route53 as route53,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { REGION } from './arns';
import { stackRelativeName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';

/** One regional endpoint behind a FailoverRoute. */
export interface FailoverEndpoint {
  /** Region of the endpoint (used in the record's set identifier and alarm descriptions). */
  readonly region: string;
  /**
   * DNS name the failover record points to (a CNAME), e.g. the regional domain name of an API
   * Gateway custom domain (`d-abc123.execute-api.eu-west-1.amazonaws.com`).
   */
  readonly domainName: string;
  /**
   * Host name the health check requests, e.g. the API's own regional endpoint
   * (`abc123.execute-api.eu-west-1.amazonaws.com`, with the stage in `healthCheckPath`).
   * @default - `domainName`
   */
  readonly healthCheckDomainName?: string;
}

/** Properties of a FailoverRoute. */
export interface FailoverRouteProps {
  /** Hosted zone that holds the failover records. */
  readonly hostedZone: route53.IHostedZone;
  /**
   * Name of the records, relative to the zone (`api`) or fully qualified (`api.example.com`).
   * Not the zone apex: failover records here are CNAMEs.
   */
  readonly recordName: string;
  /** The endpoint that serves traffic while its health check passes. */
  readonly primary: FailoverEndpoint;
  /** The endpoint Route 53 answers with while the primary's health check fails. */
  readonly secondary: FailoverEndpoint;
  /**
   * Path the HTTPS health checks request; a 2xx or 3xx answer is healthy.
   * @default '/api/health'
   */
  readonly healthCheckPath?: string;
  /**
   * Port of the HTTPS health checks (1-65535).
   * @default 443
   */
  readonly healthCheckPort?: number;
  /**
   * String the response body's first 5,120 bytes must contain to be healthy (at most 255 characters).
   * @default - the status code alone decides
   */
  readonly searchString?: string;
  /**
   * Seconds between two requests of each Route 53 checker: 30 (standard) or 10 (fast, extra charge).
   * @default 30
   */
  readonly healthCheckIntervalSeconds?: number;
  /**
   * Consecutive failed (or passed) checks that turn an endpoint unhealthy (or healthy again), 1-10.
   * @default 3
   */
  readonly failureThreshold?: number;
  /**
   * Regions the Route 53 checkers run from (at least 3 of us-east-1, us-west-1, us-west-2,
   * eu-west-1, ap-southeast-1, ap-southeast-2, ap-northeast-1, sa-east-1).
   * @default - all of them
   */
  readonly healthCheckRegions?: string[];
  /**
   * Whether the secondary endpoint gets a health check (and alarm) too, so a broken standby is
   * noticed before it is needed. Route 53 then answers with the primary when both are unhealthy.
   * @default true
   */
  readonly secondaryHealthCheck?: boolean;
  /**
   * TTL of the failover records; resolvers hold on to the old answer this long after a failover.
   * @default Duration.seconds(60)
   */
  readonly ttl?: Duration;
  /**
   * Whether to alarm on the health checks' HealthCheckStatus. Route 53 publishes that metric in
   * us-east-1 only and an alarm lives in its metric's region, so the stack must then be in
   * us-east-1 (Route 53 is global: the records and health checks work from any stack region).
   * @default true
   */
  readonly healthCheckAlarms?: boolean;
  /**
   * Alarm set that receives the health check alarms (in a us-east-1 stack).
   * @default - a new AlarmSet, unless `healthCheckAlarms` is false
   */
  readonly alarms?: AlarmSet;
}

const CHECKER_REGIONS = ['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1'];
const HOST_NAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/;
const METRICS_REGION = 'us-east-1';

/**
 * DNS failover between two regions: an HTTPS Route 53 health check on each regional endpoint,
 * PRIMARY and SECONDARY failover CNAME records with a short TTL, and alarms on the health
 * checks' status (in us-east-1, where Route 53 publishes it).
 *
 * Failover starts after `failureThreshold` x `healthCheckIntervalSeconds` of failed checks
 * (90 seconds by default) plus the record TTL for resolvers to pick up the secondary.
 */
export class FailoverRoute extends Construct {
  /** Health check of the primary endpoint. */
  public readonly healthCheck: route53.HealthCheck;
  /** Health check of the secondary endpoint, when `secondaryHealthCheck` is on. */
  public readonly secondaryHealthCheck?: route53.HealthCheck;
  /** The PRIMARY failover record. */
  public readonly primaryRecord: route53.CnameRecord;
  /** The SECONDARY failover record. */
  public readonly secondaryRecord: route53.CnameRecord;
  /** The alarm set that holds the health check alarms (undefined when `healthCheckAlarms` is false). */
  public readonly alarms?: AlarmSet;

  constructor(scope: Construct, id: string, props: FailoverRouteProps) {
    super(scope, id);
    // Required arguments, checked at run time for JavaScript callers (no TypeError further in).
    const args = new PropsValidator('FailoverRoute', this);
    args.required('props', props, 'object', 'FailoverRouteProps (an object)');
    args.required('hostedZone', props.hostedZone, 'object', 'a route53.IHostedZone');
    args.required('recordName', props.recordName, 'string', 'a DNS record name');
    for (const side of ['primary', 'secondary'] as const) {
      args.required(side, props[side], 'object', 'a FailoverEndpoint (an object with region and domainName)');
      args.required(`${side}.region`, props[side].region, 'string', 'an AWS region');
      args.required(`${side}.domainName`, props[side].domainName, 'string', 'a domain name');
    }
    validate(this, props);

    this.healthCheck = this.createHealthCheck('PrimaryHealthCheck', 'primary', props.primary, props);
    if (props.secondaryHealthCheck ?? true) {
      this.secondaryHealthCheck = this.createHealthCheck('SecondaryHealthCheck', 'secondary', props.secondary, props);
    }
    const ttl = props.ttl ?? Duration.seconds(60);
    const record = (recordId: string, endpoint: FailoverEndpoint, failover: route53.Failover, healthCheck?: route53.IHealthCheck) =>
      new route53.CnameRecord(this, recordId, {
        zone: props.hostedZone,
        recordName: props.recordName,
        domainName: endpoint.domainName,
        ttl,
        failover,
        setIdentifier: `${failover.toLowerCase()}-${endpoint.region}`,
        healthCheck,
        comment: `${failover} of ${this.node.path} (${endpoint.region})`,
      });
    this.primaryRecord = record('PrimaryRecord', props.primary, route53.Failover.PRIMARY, this.healthCheck);
    this.secondaryRecord = record('SecondaryRecord', props.secondary, route53.Failover.SECONDARY, this.secondaryHealthCheck);

    if (props.healthCheckAlarms ?? true) {
      this.alarms = alarmSetFor(this, props.alarms);
      const prefix = props.alarms ? stackRelativeName(this, 64, '') : '';
      this.addHealthAlarm(`${prefix}PrimaryUnhealthy`, this.healthCheck, props.primary,
        'Route 53 fails over to the secondary endpoint');
      if (this.secondaryHealthCheck) {
        this.addHealthAlarm(`${prefix}SecondaryUnhealthy`, this.secondaryHealthCheck, props.secondary,
          'the standby cannot take traffic if the primary fails');
      }
    }
  }

  /** The HealthCheckStatus metric (1 healthy, 0 unhealthy) of a health check; in us-east-1 only. */
  public metricHealthCheckStatus(healthCheck: route53.IHealthCheck): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Route53',
      metricName: 'HealthCheckStatus',
      dimensionsMap: { HealthCheckId: healthCheck.healthCheckId },
      statistic: 'Minimum',
      period: Duration.minutes(1),
    });
  }

  private createHealthCheck(checkId: string, role: string, endpoint: FailoverEndpoint, props: FailoverRouteProps): route53.HealthCheck {
    const check = new route53.HealthCheck(this, checkId, {
      type: props.searchString !== undefined ? route53.HealthCheckType.HTTPS_STR_MATCH : route53.HealthCheckType.HTTPS,
      fqdn: endpoint.healthCheckDomainName ?? endpoint.domainName,
      port: props.healthCheckPort ?? 443,
      resourcePath: props.healthCheckPath ?? '/api/health',
      searchString: props.searchString,
      enableSNI: true,
      requestInterval: Duration.seconds(props.healthCheckIntervalSeconds ?? 30),
      failureThreshold: props.failureThreshold ?? 3,
      regions: props.healthCheckRegions,
    });
    // Names the check in the Route 53 console, which lists health checks by their Name tag.
    (check.node.defaultChild as route53.CfnHealthCheck).healthCheckTags = [
      { key: 'Name', value: `${stackRelativeName(this)}-${role}-${endpoint.region}` },
    ];
    return check;
  }

  private addHealthAlarm(alarmId: string, healthCheck: route53.HealthCheck, endpoint: FailoverEndpoint, consequence: string): void {
    this.alarms!.addMetricAlarm(alarmId, {
      metric: this.metricHealthCheckStatus(healthCheck),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      description: `${this.node.path}: the ${endpoint.region} endpoint is unhealthy; ${consequence}`,
    });
  }
}

function validate(scope: Construct, props: FailoverRouteProps): void {
  const v = new PropsValidator('FailoverRoute', scope);
  for (const [name, endpoint] of [['primary', props.primary], ['secondary', props.secondary]] as const) {
    v.matches(`${name}.region`, endpoint.region, REGION, 'an AWS region name such as "eu-central-1"');
    v.matches(`${name}.domainName`, endpoint.domainName, HOST_NAME, 'a DNS host name such as "d-abc123.execute-api.eu-west-1.amazonaws.com"');
    v.matches(`${name}.healthCheckDomainName`, endpoint.healthCheckDomainName, HOST_NAME, 'a DNS host name');
  }
  if (!Token.isUnresolved(props.primary.region) && !Token.isUnresolved(props.secondary.region)) {
    v.check(props.secondary.region !== props.primary.region, 'secondary.region', props.secondary.region,
      `another region than primary.region ("${props.primary.region}"): both endpoints would fail together`);
  }
  const zoneName = Token.isUnresolved(props.hostedZone.zoneName) ? undefined : props.hostedZone.zoneName.replace(/\.$/, '');
  if (zoneName !== undefined && !Token.isUnresolved(props.recordName)) {
    const name = props.recordName.replace(/\.$/, '');
    v.check(name !== zoneName && name !== '', 'recordName', props.recordName,
      `a name below the zone apex ("${zoneName}"): the apex cannot hold a CNAME`);
  }
  v.matches('healthCheckPath', props.healthCheckPath, /^\/[\x21-\x7e]{0,254}$/, 'a path starting with "/", at most 255 printable characters');
  v.range('healthCheckPort', props.healthCheckPort, 1, 65535);
  if (props.searchString !== undefined && !Token.isUnresolved(props.searchString)) {
    v.check(props.searchString.length >= 1 && props.searchString.length <= 255, 'searchString', props.searchString, '1-255 characters');
  }
  const interval = props.healthCheckIntervalSeconds;
  if (interval !== undefined && !Token.isUnresolved(interval)) {
    v.check(interval === 10 || interval === 30, 'healthCheckIntervalSeconds', interval, '10 or 30');
  }
  v.range('failureThreshold', props.failureThreshold, 1, 10);
  const regions = props.healthCheckRegions;
  if (regions !== undefined) {
    v.check(regions.length >= 3, 'healthCheckRegions.length', regions.length, 'at least 3 (Route 53 needs checkers in three regions)');
    regions.forEach((r, i) => {
      if (Token.isUnresolved(r)) return;
      v.check(CHECKER_REGIONS.includes(r), `healthCheckRegions[${i}]`, r, `one of ${CHECKER_REGIONS.join(', ')}`);
    });
    v.check(new Set(regions).size === regions.length, 'healthCheckRegions', regions, 'free of duplicates');
  }
  v.durationRange('ttl', props.ttl, 0, 172800);

  if (props.healthCheckAlarms ?? true) {
    const stack = Stack.of(props.alarms ?? scope);
    if (Token.isUnresolved(stack.region)) {
      Annotations.of(scope).addWarningV2('cloudvault:failoverRouteRegion',
        `Deploy ${stack.stackName} to ${METRICS_REGION}: Route 53 publishes HealthCheckStatus only there, and the health check alarms read it.`);
    } else {
      v.check(stack.region === METRICS_REGION, 'the stack\'s env.region', stack.region,
        `${METRICS_REGION} when healthCheckAlarms is on (Route 53 publishes HealthCheckStatus only in ${METRICS_REGION} and an alarm ` +
        'must be in its metric\'s region; Route 53 is global, so the stack may live there), or set healthCheckAlarms: false');
    }
  }
}
