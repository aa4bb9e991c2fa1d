import {
  Duration,
  Token,
  aws_apigateway as apigw,
  aws_apigatewayv2 as apigwv2,
  aws_certificatemanager as acm,
  aws_cloudwatch as cloudwatch,
  aws_route53 as route53,
  aws_route53_targets as targets,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { stackRelativeName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';

/** Mutual TLS of the REST domain: clients present a certificate signed by a CA of the truststore. */
export interface CustomDomainMutualTls {
  /** Bucket holding the truststore (a PEM bundle of the client CAs). */
  readonly bucket: s3.IBucket;
  /** Key of the truststore object, e.g. `truststore.pem`. */
  readonly key: string;
  /**
   * Version of the truststore object (versioned buckets); pins the bundle until you change it.
   * @default - the latest version
   */
  readonly version?: string;
}

/** Properties of a CustomDomain. */
export interface CustomDomainProps {
  /** Host name of the REST APIs, e.g. `api.example.com`; in `hostedZone`. */
  readonly domainName: string;
  /** Public hosted zone that gets the alias records (and the certificate's validation records). */
  readonly hostedZone: route53.IHostedZone;
  /**
   * Host name of the WebSocket APIs, e.g. `ws.example.com`; in `hostedZone`.
   * @default - no WebSocket domain
   */
  readonly webSocketDomainName?: string;
  /**
   * Certificate covering `domainName` (and `webSocketDomainName`), in the stack's region.
   * @default - a new DNS-validated ACM certificate for both names
   */
  readonly certificate?: acm.ICertificate;
  /**
   * Mutual TLS on the REST domain (API Gateway offers it for REST and HTTP APIs, not WebSocket).
   * @default - no mutual TLS
   */
  readonly mutualTls?: CustomDomainMutualTls;
  /**
   * Days before the certificate expires at which its alarm fires (ACM renews DNS-validated
   * certificates 60 days ahead, so an alarm means renewal is failing).
   * @default 45
   */
  readonly expiryAlarmDays?: number;
  /**
   * Alarm set for the certificate expiry alarm.
   * @default - a new AlarmSet named after the construct
   */
  readonly alarms?: AlarmSet;
}

/** Where a REST API appears under the domain. */
export interface CustomDomainRestApiOptions {
  /** The stage the domain serves (e.g. `SecureRestApi.stage`). */
  readonly stage: apigw.Stage;
  /**
   * First path segment under which the API appears (letters, digits, "_", "-", ".").
   * @default - the domain's root
   */
  readonly basePath?: string;
}

/** Where a WebSocket API appears under the WebSocket domain. */
export interface CustomDomainWebSocketOptions {
  /** The stage the domain serves. */
  readonly stage: apigwv2.IStage;
  /**
   * Path under which the API appears.
   * @default - the domain's root
   */
  readonly mappingKey?: string;
}

const HOST_NAME = /^(?=.{1,253}$)(?!-)([A-Za-z0-9-]{1,63}(?<!-)\.)+[A-Za-z]{2,63}$/;
const BASE_PATH = /^[A-Za-z0-9_.-]{1,128}$/;
const MAPPING_KEY = /^[A-Za-z0-9_.-]{1,128}(\/[A-Za-z0-9_.-]{1,128})*$/;

/**
 * Custom domain names for API Gateway: a DNS-validated ACM certificate (or yours), a regional
 * REST domain name with the TLS 1.2 security policy and optional mutual TLS, an optional
 * regional WebSocket (API Gateway v2) domain name with TLS 1.2, base-path / API mappings
 * added with `addRestApi()` and `addWebSocketApi()`, Route 53 alias records in the given
 * hosted zone, and an alarm before the certificate expires.
 */
export class CustomDomain extends Construct {
  /** The certificate both domain names use. */
  public readonly certificate: acm.ICertificate;
  /** The REST domain name. */
  public readonly restDomain: apigw.DomainName;
  /** The alias record of the REST domain. */
  public readonly restRecord: route53.ARecord;
  /** The WebSocket domain name, when `webSocketDomainName` was given. */
  public readonly webSocketDomain?: apigwv2.DomainName;
  /** The alias record of the WebSocket domain. */
  public readonly webSocketRecord?: route53.ARecord;
  /** The certificate's alarm. */
  public readonly alarms: AlarmSet;
  /** Host name of the REST APIs. */
  public readonly domainName: string;
  /** Host name of the WebSocket APIs. */
  public readonly webSocketDomainName?: string;

  private readonly basePaths = new Set<string>();
  private readonly mappingKeys = new Set<string>();

  constructor(scope: Construct, id: string, props: CustomDomainProps) {
    super(scope, id);
    const args = new PropsValidator('CustomDomain', this);
    args.required('props', props, 'object', 'CustomDomainProps (an object)');
    args.required('domainName', props.domainName, 'string', 'a host name such as api.example.com');
    args.required('hostedZone', props.hostedZone, 'object', 'a route53.IHostedZone');
    validate(this, props);
    this.domainName = props.domainName;
    this.webSocketDomainName = props.webSocketDomainName;

    this.certificate = props.certificate ?? new acm.Certificate(this, 'Certificate', {
      domainName: props.domainName,
      subjectAlternativeNames: props.webSocketDomainName ? [props.webSocketDomainName] : undefined,
      validation: acm.CertificateValidation.fromDns(props.hostedZone),
      keyAlgorithm: acm.KeyAlgorithm.RSA_2048,
    });

    // TLS_1_2, not the TLS 1.3 strict policies: those fail Control Tower CT.APIGATEWAY.PR.6.
    this.restDomain = new apigw.DomainName(this, 'RestDomain', {
      domainName: props.domainName,
      certificate: this.certificate,
      endpointType: apigw.EndpointType.REGIONAL,
      securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      mtls: props.mutualTls ? { bucket: props.mutualTls.bucket, key: props.mutualTls.key, version: props.mutualTls.version } : undefined,
    });
    this.restRecord = new route53.ARecord(this, 'RestAlias', {
      zone: props.hostedZone,
      recordName: props.domainName,
      target: route53.RecordTarget.fromAlias(new targets.ApiGatewayDomain(this.restDomain)),
    });

    if (props.webSocketDomainName) {
      this.webSocketDomain = new apigwv2.DomainName(this, 'WebSocketDomain', {
        domainName: props.webSocketDomainName,
        certificate: this.certificate,
        endpointType: apigwv2.EndpointType.REGIONAL,
        securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
      });
      this.webSocketRecord = new route53.ARecord(this, 'WebSocketAlias', {
        zone: props.hostedZone,
        recordName: props.webSocketDomainName,
        target: route53.RecordTarget.fromAlias(new targets.ApiGatewayv2DomainProperties(
          this.webSocketDomain.regionalDomainName, this.webSocketDomain.regionalHostedZoneId)),
      });
    }

    this.alarms = alarmSetFor(this, props.alarms);
    const days = props.expiryAlarmDays ?? 45;
    this.alarms.addMetricAlarm(`${props.alarms ? stackRelativeName(this, 64, '') : ''}CertificateExpiry`, {
      metric: new cloudwatch.Metric({
        namespace: 'AWS/CertificateManager',
        metricName: 'DaysToExpiry',
        dimensionsMap: { CertificateArn: this.certificate.certificateArn },
        statistic: 'Minimum',
        period: Duration.days(1),
      }),
      threshold: days,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      description: `${this.node.path}: the certificate of ${props.domainName} expires in less than ${days} days (renewal is failing)`,
    });
  }

  /** Serves `options.stage` of a REST API under the REST domain (at `basePath`, or the root). */
  public addRestApi(id: string, api: apigw.IRestApi, options: CustomDomainRestApiOptions): apigw.BasePathMapping {
    const v = PropsValidator.forChild('CustomDomain', this, id);
    v.required('api', api, 'object', 'an apigateway.IRestApi');
    v.required('options', options, 'object', 'CustomDomainRestApiOptions (an object with stage)');
    v.required('options.stage', options.stage, 'object', 'the apigateway.Stage the domain serves');
    v.matches('basePath', options.basePath, BASE_PATH, '1-128 letters, digits, "_", "-" or "." (one path segment)');
    const key = options.basePath ?? '(root)';
    v.check(!this.basePaths.has(key), 'basePath', options.basePath, 'unused on this domain (each base path maps one API)');
    this.basePaths.add(key);
    return new apigw.BasePathMapping(this, id, { domainName: this.restDomain, restApi: api, stage: options.stage, basePath: options.basePath });
  }

  /** Serves `options.stage` of a WebSocket API under the WebSocket domain (needs `webSocketDomainName`). */
  public addWebSocketApi(id: string, api: apigwv2.IWebSocketApi, options: CustomDomainWebSocketOptions): apigwv2.ApiMapping {
    const v = PropsValidator.forChild('CustomDomain', this, id);
    v.check(this.webSocketDomain !== undefined, 'webSocketDomainName', undefined, 'set on the CustomDomain to map WebSocket APIs');
    v.required('api', api, 'object', 'an apigatewayv2.IWebSocketApi');
    v.required('options', options, 'object', 'CustomDomainWebSocketOptions (an object with stage)');
    v.required('options.stage', options.stage, 'object', 'the apigatewayv2.IStage the domain serves');
    v.matches('mappingKey', options.mappingKey, MAPPING_KEY, 'path segments of letters, digits, "_", "-" or "." separated by "/"');
    const key = options.mappingKey ?? '(root)';
    v.check(!this.mappingKeys.has(key), 'mappingKey', options.mappingKey, 'unused on this domain (each key maps one API)');
    this.mappingKeys.add(key);
    return new apigwv2.ApiMapping(this, id, { domainName: this.webSocketDomain!, api, stage: options.stage, apiMappingKey: options.mappingKey });
  }

  /** `https://<domainName>/` (plus `basePath/` when given). */
  public urlForRest(basePath?: string): string {
    return `https://${this.domainName}/${basePath ? `${basePath}/` : ''}`;
  }

  /** `wss://<webSocketDomainName>` (plus `/mappingKey` when given). */
  public urlForWebSocket(mappingKey?: string): string {
    new PropsValidator('CustomDomain', this).check(this.webSocketDomainName !== undefined, 'webSocketDomainName',
      undefined, 'set on the CustomDomain to have a WebSocket URL');
    return `wss://${this.webSocketDomainName}${mappingKey ? `/${mappingKey}` : ''}`;
  }
}

function validate(construct: IConstruct, props: CustomDomainProps): void {
  const v = new PropsValidator('CustomDomain', construct);
  const zone = props.hostedZone.zoneName;
  for (const [prop, name] of [['domainName', props.domainName], ['webSocketDomainName', props.webSocketDomainName]] as const) {
    if (name === undefined || Token.isUnresolved(name)) continue;
    v.matches(prop, name, HOST_NAME, 'a host name such as api.example.com (no wildcard, no trailing dot)');
    if (!Token.isUnresolved(zone)) {
      const apex = zone.replace(/\.$/, '').toLowerCase();
      const host = name.toLowerCase();
      v.check(host === apex || host.endsWith(`.${apex}`), prop, name, `in the hosted zone ${apex}`);
    }
  }
  v.check(props.webSocketDomainName === undefined || props.webSocketDomainName.toLowerCase() !== props.domainName.toLowerCase(),
    'webSocketDomainName', props.webSocketDomainName, 'another host name than domainName (each domain name serves one API type)');
  if (props.mutualTls) {
    v.required('mutualTls.bucket', props.mutualTls.bucket, 'object', 'the s3.IBucket holding the truststore');
    v.check(typeof props.mutualTls.key === 'string' && props.mutualTls.key.length > 0 && !props.mutualTls.key.startsWith('/'),
      'mutualTls.key', props.mutualTls.key, 'the truststore object key, such as truststore.pem (no leading "/")');
  }
  v.range('expiryAlarmDays', props.expiryAlarmDays, 1, 365);
}
