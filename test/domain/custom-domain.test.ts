import {
  Stack,
  aws_apigateway as apigw,
  aws_apigatewayv2 as apigwv2,
  aws_certificatemanager as acm,
  aws_route53 as route53,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CustomDomain, CustomDomainProps } from '../../src/domain';
import { EnvironmentConfig } from '../../src/governance';
import { AlarmSet } from '../../src/monitoring';
import { formatFindings, nagFindings, testApp, testStack } from '../support/nag-harness';

function zoneIn(stack: Stack): route53.IHostedZone {
  return route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });
}

// APIs to map, outside the construct: the compliance check covers the CustomDomain's scope only.
function restApi(stack: Stack): apigw.RestApi {
  const api = new apigw.RestApi(stack, 'Rest', { deploy: true });
  api.root.addMethod('GET', new apigw.MockIntegration());
  return api;
}

function webSocketApi(stack: Stack): { api: apigwv2.WebSocketApi; stage: apigwv2.WebSocketStage } {
  const api = new apigwv2.WebSocketApi(stack, 'Ws');
  return { api, stage: new apigwv2.WebSocketStage(stack, 'WsStage', { webSocketApi: api, stageName: 'live', autoDeploy: true }) };
}

function expectClean(domain: CustomDomain): void {
  const findings = nagFindings(domain);
  expect(formatFindings(findings)).toBe('');
}

describe('CustomDomain with default props (prod profile)', () => {
  let stack: Stack;
  let domain: CustomDomain;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    domain = new CustomDomain(stack, 'Domain', { domainName: 'api.example.com', hostedZone: zoneIn(stack) });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectClean(domain);
  });

  test('issues a DNS-validated RSA 2048 certificate for the name, validated in the zone', () => {
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'api.example.com',
      ValidationMethod: 'DNS',
      KeyAlgorithm: 'RSA_2048',
      DomainValidationOptions: [{ DomainName: 'api.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
    });
    expect(template.findResources('AWS::CertificateManager::Certificate')[Object.keys(template.findResources('AWS::CertificateManager::Certificate'))[0]]
      .Properties.SubjectAlternativeNames).toBeUndefined();
  });

  test('a regional REST domain name with TLS 1.2 and no mutual TLS', () => {
    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.example.com',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
      RegionalCertificateArn: { Ref: Match.anyValue() },
      MutualTlsAuthentication: Match.absent(),
    });
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
  });

  test('an alias A record in the zone pointing at the regional domain', () => {
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'api.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      AliasTarget: { DNSName: { 'Fn::GetAtt': [Match.anyValue(), 'RegionalDomainName'] }, HostedZoneId: { 'Fn::GetAtt': [Match.anyValue(), 'RegionalHostedZoneId'] } },
    });
  });

  test('alarms when the certificate has fewer than 45 days left', () => {
    expect(domain.alarms.alarms).toHaveLength(1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/CertificateManager',
      MetricName: 'DaysToExpiry',
      Statistic: 'Minimum',
      Period: 86400,
      Threshold: 45,
      ComparisonOperator: 'LessThanThreshold',
    });
  });

  test('urls', () => {
    expect(domain.urlForRest()).toBe('https://api.example.com/');
    expect(domain.urlForRest('files')).toBe('https://api.example.com/files/');
    expect(() => domain.urlForWebSocket()).toThrow('CustomDomain "Domain" (Test/Domain): webSocketDomainName must be set on the CustomDomain to have a WebSocket URL, got undefined');
  });
});

describe('CustomDomain with a rich configuration (dev profile)', () => {
  let stack: Stack;
  let domain: CustomDomain;
  let shared: AlarmSet;
  let template: Template;
  let rest: apigw.RestApi;
  let ws: { api: apigwv2.WebSocketApi; stage: apigwv2.WebSocketStage };
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    shared = new AlarmSet(stack, 'Ops');
    rest = restApi(stack);
    ws = webSocketApi(stack);
    const truststore = s3.Bucket.fromBucketName(stack, 'Truststore', 'cv-truststore');
    domain = new CustomDomain(stack, 'Domain', {
      domainName: 'api.example.com',
      webSocketDomainName: 'ws.example.com',
      hostedZone: zoneIn(stack),
      mutualTls: { bucket: truststore, key: 'ca/truststore.pem', version: 'v1' },
      expiryAlarmDays: 30,
      alarms: shared,
    });
    domain.addRestApi('Files', rest, { stage: rest.deploymentStage, basePath: 'files' });
    domain.addRestApi('Root', rest, { stage: rest.deploymentStage });
    domain.addWebSocketApi('Realtime', ws.api, { stage: ws.stage });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectClean(domain);
  });

  test('one certificate covers both names', () => {
    template.resourceCountIs('AWS::CertificateManager::Certificate', 1);
    template.hasResourceProperties('AWS::CertificateManager::Certificate', { DomainName: 'api.example.com', SubjectAlternativeNames: ['ws.example.com'] });
  });

  test('the REST domain requires client certificates from the truststore', () => {
    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      MutualTlsAuthentication: { TruststoreUri: 's3://cv-truststore/ca/truststore.pem', TruststoreVersion: 'v1' },
    });
  });

  test('a regional WebSocket domain name with TLS 1.2 and its own alias record', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'ws.example.com',
      DomainNameConfigurations: [Match.objectLike({ EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' })],
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'ws.example.com.', Type: 'A' });
  });

  test('base-path and API mappings', () => {
    const mappings = Object.values(template.findResources('AWS::ApiGateway::BasePathMapping')).map((m: any) => m.Properties.BasePath);
    expect(mappings).toEqual(['files', undefined]);
    template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', {
      ApiId: { Ref: stack.getLogicalId(ws.api.node.defaultChild as apigwv2.CfnApi) },
      Stage: 'live',
    });
    expect(domain.urlForWebSocket()).toBe('wss://ws.example.com');
  });

  test('the expiry alarm goes into the shared set with the given threshold', () => {
    expect(domain.alarms).toBe(shared);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DaysToExpiry', Threshold: 30 });
  });

  test('a base path or mapping key is used once', () => {
    expect(() => domain.addRestApi('Again', rest, { stage: rest.deploymentStage, basePath: 'files' })).toThrow(
      'CustomDomain "Domain/Again" (Test/Domain/Again): basePath must be unused on this domain (each base path maps one API), got "files"');
    expect(() => domain.addWebSocketApi('Again', ws.api, { stage: ws.stage })).toThrow(
      'CustomDomain "Domain/Again" (Test/Domain/Again): mappingKey must be unused on this domain (each key maps one API), got undefined');
  });
});

describe('CustomDomain with an existing certificate', () => {
  test('uses it and issues none', () => {
    const stack = testStack();
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert',
      'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012');
    const domain = new CustomDomain(stack, 'Domain', { domainName: 'api.example.com', hostedZone: zoneIn(stack), certificate });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    template.hasResourceProperties('AWS::ApiGateway::DomainName', { RegionalCertificateArn: certificate.certificateArn });
    expect(domain.certificate).toBe(certificate);
    expectClean(domain);
  });
});

describe('CustomDomain rejects invalid props', () => {
  function make(props: Partial<CustomDomainProps>): CustomDomain {
    const stack = testStack(testApp());
    return new CustomDomain(stack, 'Domain', { domainName: 'api.example.com', hostedZone: zoneIn(stack), ...props });
  }
  const bucket = () => s3.Bucket.fromBucketName(new Stack(), 'B', 'cv-truststore');

  test.each([
    [{ domainName: 'api.example.com.' }, 'CustomDomain "Domain" (Test/Domain): domainName must be a host name such as api.example.com (no wildcard, no trailing dot), got "api.example.com."'],
    [{ domainName: '*.example.com' }, 'CustomDomain "Domain" (Test/Domain): domainName must be a host name such as api.example.com (no wildcard, no trailing dot), got "*.example.com"'],
    [{ domainName: 'api.example.org' }, 'CustomDomain "Domain" (Test/Domain): domainName must be in the hosted zone example.com, got "api.example.org"'],
    [{ webSocketDomainName: 'ws.other.com' }, 'CustomDomain "Domain" (Test/Domain): webSocketDomainName must be in the hosted zone example.com, got "ws.other.com"'],
    [{ webSocketDomainName: 'API.example.com' },
      'CustomDomain "Domain" (Test/Domain): webSocketDomainName must be another host name than domainName (each domain name serves one API type), got "API.example.com"'],
    [{ mutualTls: { bucket: undefined as any, key: 'truststore.pem' } },
      'CustomDomain "Domain" (Test/Domain): mutualTls.bucket must be the s3.IBucket holding the truststore, got undefined'],
    [{ mutualTls: { bucket: bucket(), key: '/truststore.pem' } },
      'CustomDomain "Domain" (Test/Domain): mutualTls.key must be the truststore object key, such as truststore.pem (no leading "/"), got "/truststore.pem"'],
    [{ expiryAlarmDays: 0 }, 'CustomDomain "Domain" (Test/Domain): expiryAlarmDays must be an integer 1-365, got 0'],
    [{ domainName: undefined as any }, 'CustomDomain "Domain" (Test/Domain): domainName must be a host name such as api.example.com, got undefined'],
    [{ hostedZone: undefined as any }, 'CustomDomain "Domain" (Test/Domain): hostedZone must be a route53.IHostedZone, got undefined'],
  ] as Array<[Partial<CustomDomainProps>, string]>)('%j', (props, message) => {
    expect(() => make(props)).toThrow(message);
  });

  test('mappings are checked', () => {
    const stack = testStack(testApp());
    const zone = zoneIn(stack);
    const domain = new CustomDomain(stack, 'Domain', { domainName: 'api.example.com', hostedZone: zone });
    const rest = restApi(stack);
    const ws = webSocketApi(stack);
    expect(() => domain.addRestApi('Bad', rest, { stage: rest.deploymentStage, basePath: 'v1/files' })).toThrow(
      'CustomDomain "Domain/Bad" (Test/Domain/Bad): basePath must be 1-128 letters, digits, "_", "-" or "." (one path segment), got "v1/files"');
    expect(() => domain.addRestApi('NoStage', rest, {} as any)).toThrow(
      'CustomDomain "Domain/NoStage" (Test/Domain/NoStage): options.stage must be the apigateway.Stage the domain serves, got undefined');
    expect(() => domain.addWebSocketApi('Ws', ws.api, { stage: ws.stage })).toThrow(
      'CustomDomain "Domain/Ws" (Test/Domain/Ws): webSocketDomainName must be set on the CustomDomain to map WebSocket APIs, got undefined');
    const both = new CustomDomain(stack, 'Both', { domainName: 'api2.example.com', webSocketDomainName: 'ws.example.com', hostedZone: zone });
    expect(() => both.addWebSocketApi('Bad', ws.api, { stage: ws.stage, mappingKey: 'a//b' })).toThrow(
      'CustomDomain "Both/Bad" (Test/Both/Bad): mappingKey must be path segments of letters, digits, "_", "-" or "." separated by "/", got "a//b"');
  });
});
