import { App, Duration, Stack, aws_route53 as route53 } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../../src/governance';
import { AlarmSet } from '../../src/monitoring';
import { FailoverRoute, FailoverRouteProps } from '../../src/recovery';
import { expectNagClean, testApp, testStack } from '../support/nag-harness';

const PRIMARY = { region: 'eu-west-1', domainName: 'd-abc123.execute-api.eu-west-1.amazonaws.com' };
const SECONDARY = { region: 'eu-central-1', domainName: 'd-def456.execute-api.eu-central-1.amazonaws.com' };

function usEast1(app: App = testApp(), id = 'Dns'): Stack {
  return new Stack(app, id, { env: { account: '123456789012', region: 'us-east-1' } });
}

function zoneIn(stack: Stack): route53.IHostedZone {
  return route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });
}

function byType(template: Template, type: string): any[] {
  return Object.values(template.findResources(type));
}

describe('FailoverRoute with default props (prod profile)', () => {
  let stack: Stack;
  let route: FailoverRoute;
  let template: Template;
  beforeAll(() => {
    stack = usEast1();
    route = new FailoverRoute(stack, 'Api', { hostedZone: zoneIn(stack), recordName: 'api', primary: PRIMARY, secondary: SECONDARY });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('checks both endpoints over HTTPS with SNI on /api/health every 30 s, unhealthy after 3 failures', () => {
    const checks = byType(template, 'AWS::Route53::HealthCheck');
    expect(checks.map((c) => c.Properties)).toEqual([PRIMARY, SECONDARY].map((e, i) => ({
      HealthCheckConfig: {
        Type: 'HTTPS',
        FullyQualifiedDomainName: e.domainName,
        Port: 443,
        ResourcePath: '/api/health',
        EnableSNI: true,
        RequestInterval: 30,
        FailureThreshold: 3,
        Inverted: false,
        MeasureLatency: false,
      },
      HealthCheckTags: [{ Key: 'Name', Value: `Api-${i === 0 ? 'primary' : 'secondary'}-${e.region}` }],
    })));
  });

  test('answers with the primary while it is healthy and with the secondary otherwise, TTL 60 s', () => {
    const records = byType(template, 'AWS::Route53::RecordSet').map((r) => r.Properties);
    expect(records).toEqual([
      {
        HostedZoneId: 'Z0123456789ABCDEFGHIJ',
        Name: 'api.example.com.',
        Type: 'CNAME',
        TTL: '60',
        ResourceRecords: [PRIMARY.domainName],
        Failover: 'PRIMARY',
        SetIdentifier: 'primary-eu-west-1',
        HealthCheckId: stack.resolve(route.healthCheck.healthCheckId),
        Comment: 'PRIMARY of Dns/Api (eu-west-1)',
      },
      {
        HostedZoneId: 'Z0123456789ABCDEFGHIJ',
        Name: 'api.example.com.',
        Type: 'CNAME',
        TTL: '60',
        ResourceRecords: [SECONDARY.domainName],
        Failover: 'SECONDARY',
        SetIdentifier: 'secondary-eu-central-1',
        HealthCheckId: stack.resolve(route.secondaryHealthCheck!.healthCheckId),
        Comment: 'SECONDARY of Dns/Api (eu-central-1)',
      },
    ]);
  });

  test('alarms when either health check reports unhealthy (HealthCheckStatus < 1)', () => {
    expect(route.alarms!.alarms).toHaveLength(2);
    for (const [name, check] of [['PrimaryUnhealthy', route.healthCheck], ['SecondaryUnhealthy', route.secondaryHealthCheck!]] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `Dns-Api-${name}`,
        Namespace: 'AWS/Route53',
        MetricName: 'HealthCheckStatus',
        Dimensions: [{ Name: 'HealthCheckId', Value: stack.resolve(check.healthCheckId) }],
        Statistic: 'Minimum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        ActionsEnabled: true,
      });
    }
  });
});

describe('FailoverRoute with a rich configuration (dev profile)', () => {
  let stack: Stack;
  let route: FailoverRoute;
  let shared: AlarmSet;
  let template: Template;
  beforeAll(() => {
    stack = usEast1();
    EnvironmentConfig.dev().applyTo(stack);
    shared = new AlarmSet(stack, 'Ops');
    route = new FailoverRoute(stack, 'Api', {
      hostedZone: zoneIn(stack),
      recordName: 'files.example.com',
      primary: { ...PRIMARY, healthCheckDomainName: 'abc123.execute-api.eu-west-1.amazonaws.com' },
      secondary: SECONDARY,
      healthCheckPath: '/prod/api/health',
      healthCheckPort: 8443,
      searchString: '"status":"ok"',
      healthCheckIntervalSeconds: 10,
      failureThreshold: 2,
      healthCheckRegions: ['us-east-1', 'eu-west-1', 'ap-southeast-1'],
      secondaryHealthCheck: false,
      ttl: Duration.seconds(30),
      alarms: shared,
    });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('checks only the primary, on its own host name, with string matching, fast interval and chosen checker regions', () => {
    const checks = byType(template, 'AWS::Route53::HealthCheck');
    expect(checks).toHaveLength(1);
    expect(checks[0].Properties.HealthCheckConfig).toEqual({
      Type: 'HTTPS_STR_MATCH',
      FullyQualifiedDomainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      Port: 8443,
      ResourcePath: '/prod/api/health',
      SearchString: '"status":"ok"',
      EnableSNI: true,
      RequestInterval: 10,
      FailureThreshold: 2,
      Regions: ['us-east-1', 'eu-west-1', 'ap-southeast-1'],
      Inverted: false,
      MeasureLatency: false,
    });
    expect(route.secondaryHealthCheck).toBeUndefined();
  });

  test('the records use the fully qualified name and TTL; the secondary has no health check', () => {
    const records = byType(template, 'AWS::Route53::RecordSet').map((r) => r.Properties);
    expect(records.map((r) => [r.Name, r.TTL, r.Failover, r.ResourceRecords[0], r.HealthCheckId !== undefined])).toEqual([
      ['files.example.com.', '30', 'PRIMARY', PRIMARY.domainName, true],
      ['files.example.com.', '30', 'SECONDARY', SECONDARY.domainName, false],
    ]);
  });

  test('puts the primary\'s alarm into the shared set', () => {
    expect(route.alarms).toBe(shared);
    expect(shared.alarms).toHaveLength(1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'Dns-Ops-ApiPrimaryUnhealthy', MetricName: 'HealthCheckStatus', ActionsEnabled: false });
  });
});

describe('FailoverRoute outside us-east-1', () => {
  test('rejects alarms in a stack of another region, naming the way out', () => {
    const stack = testStack();
    expect(() => new FailoverRoute(stack, 'Api', { hostedZone: zoneIn(stack), recordName: 'api', primary: PRIMARY, secondary: SECONDARY }))
      .toThrow('FailoverRoute "Api" (Test/Api): the stack\'s env.region must be us-east-1 when healthCheckAlarms is on (Route 53 publishes HealthCheckStatus only in us-east-1 and an alarm must be in its metric\'s region; Route 53 is global, so the stack may live there), or set healthCheckAlarms: false, got "eu-west-1"');
  });

  test('without alarms, works in any region and creates no alarm set', () => {
    const stack = testStack();
    const route = new FailoverRoute(stack, 'Api', { hostedZone: zoneIn(stack), recordName: 'api', primary: PRIMARY, secondary: SECONDARY, healthCheckAlarms: false });
    const template = Template.fromStack(stack);
    expect(route.alarms).toBeUndefined();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::Route53::RecordSet', 2);
  });

  test('in a region-agnostic stack, warns that the stack must be deployed to us-east-1', () => {
    const stack = new Stack(testApp(), 'Agnostic');
    new FailoverRoute(stack, 'Api', { hostedZone: zoneIn(stack), recordName: 'api', primary: PRIMARY, secondary: SECONDARY });
    Annotations.fromStack(stack).hasWarning('/Agnostic/Api', Match.stringLikeRegexp('Deploy Agnostic to us-east-1'));
  });
});

describe('FailoverRoute validation', () => {
  const make = (props: Partial<FailoverRouteProps>) => {
    const stack = usEast1();
    return new FailoverRoute(stack, 'Api', { hostedZone: zoneIn(stack), recordName: 'api', primary: PRIMARY, secondary: SECONDARY, ...props });
  };

  test.each<[string, Partial<FailoverRouteProps>, string]>([
    ['a secondary region equal to the primary', { secondary: { ...SECONDARY, region: 'eu-west-1' } },
      'FailoverRoute "Api" (Dns/Api): secondary.region must be another region than primary.region ("eu-west-1"): both endpoints would fail together, got "eu-west-1"'],
    ['a malformed region', { primary: { ...PRIMARY, region: 'Ireland' } },
      'FailoverRoute "Api" (Dns/Api): primary.region must be an AWS region name such as "eu-central-1", got "Ireland"'],
    ['a target that is no host name', { secondary: { ...SECONDARY, domainName: 'https://api.example.com/' } },
      'FailoverRoute "Api" (Dns/Api): secondary.domainName must be a DNS host name such as "d-abc123.execute-api.eu-west-1.amazonaws.com", got "https://api.example.com/"'],
    ['a record at the zone apex', { recordName: 'example.com' },
      'FailoverRoute "Api" (Dns/Api): recordName must be a name below the zone apex ("example.com"): the apex cannot hold a CNAME, got "example.com"'],
    ['an interval other than 10 or 30 seconds', { healthCheckIntervalSeconds: 20 },
      'FailoverRoute "Api" (Dns/Api): healthCheckIntervalSeconds must be 10 or 30, got 20'],
    ['a failure threshold of 0', { failureThreshold: 0 },
      'FailoverRoute "Api" (Dns/Api): failureThreshold must be an integer 1-10, got 0'],
    ['a failure threshold of 11', { failureThreshold: 11 },
      'FailoverRoute "Api" (Dns/Api): failureThreshold must be an integer 1-10, got 11'],
    ['a path without a leading slash', { healthCheckPath: 'health' },
      'FailoverRoute "Api" (Dns/Api): healthCheckPath must be a path starting with "/", at most 255 printable characters, got "health"'],
    ['port 0', { healthCheckPort: 0 },
      'FailoverRoute "Api" (Dns/Api): healthCheckPort must be an integer 1-65535, got 0'],
    ['fewer than three checker regions', { healthCheckRegions: ['us-east-1', 'eu-west-1'] },
      'FailoverRoute "Api" (Dns/Api): healthCheckRegions.length must be at least 3 (Route 53 needs checkers in three regions), got 2'],
    ['a region without Route 53 checkers', { healthCheckRegions: ['us-east-1', 'eu-west-1', 'eu-central-1'] },
      'FailoverRoute "Api" (Dns/Api): healthCheckRegions[2] must be one of us-east-1, us-west-1, us-west-2, eu-west-1, ap-southeast-1, ap-southeast-2, ap-northeast-1, sa-east-1, got "eu-central-1"'],
    ['a search string longer than 255 characters', { searchString: 'x'.repeat(256) },
      'FailoverRoute "Api" (Dns/Api): searchString must be 1-255 characters'],
  ])('rejects %s', (_name, props, message) => {
    expect(() => make(props)).toThrow(message);
  });
});
