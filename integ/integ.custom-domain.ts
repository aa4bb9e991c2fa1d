import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack, aws_apigateway as apigw, aws_apigatewayv2 as apigwv2, aws_route53 as route53 } from 'aws-cdk-lib';
import { CustomDomain, EnvironmentConfig } from '../src';

// NEEDS A PUBLIC HOSTED ZONE: the certificate is validated and the aliases are created in a real
// zone. The snapshot is synthesized with the placeholder zone below; to deploy, run integ:deploy
// with `-c cloudvault:integ-hosted-zone-id=<id>` and `-c cloudvault:integ-zone-name=<name>`.
const app = new App();
const hostedZoneId = app.node.tryGetContext('cloudvault:integ-hosted-zone-id') ?? 'Z0000000000000000000';
const zoneName = app.node.tryGetContext('cloudvault:integ-zone-name') ?? 'integ.example.com';

const stack = new Stack(app, 'CvIntegCustomDomain');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run
const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId, zoneName });

// A REST API whose one method answers 200 without a backend, and a WebSocket API with a stage.
const rest = new apigw.RestApi(stack, 'Rest', { deployOptions: { stageName: 'v1' } });
rest.root.addMethod('GET', new apigw.MockIntegration({
  requestTemplates: { 'application/json': '{"statusCode": 200}' },
  integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"ok": true}' } }],
}), { methodResponses: [{ statusCode: '200' }] });
const ws = new apigwv2.WebSocketApi(stack, 'Ws');
const wsStage = new apigwv2.WebSocketStage(stack, 'WsStage', { webSocketApi: ws, stageName: 'live', autoDeploy: true });

const domainName = `api.${zoneName}`;
const domain = new CustomDomain(stack, 'Domain', { domainName, webSocketDomainName: `ws.${zoneName}`, hostedZone });
domain.addRestApi('Files', rest, { stage: rest.deploymentStage, basePath: 'files' });
domain.addWebSocketApi('Realtime', ws, { stage: wsStage });

const integ = new IntegTest(app, 'CustomDomainIntegTest', { testCases: [stack] });

// The certificate is issued (DNS validation in the zone worked) for both names.
integ.assertions.awsApiCall('ACM', 'describeCertificate', { CertificateArn: domain.certificate.certificateArn })
  .expect(ExpectedResult.objectLike({
    Certificate: Match.objectLike({ Status: 'ISSUED', DomainName: domainName, SubjectAlternativeNames: [domainName, `ws.${zoneName}`] }),
  }));

// Both domain names are regional with the TLS 1.2 policy.
integ.assertions.awsApiCall('APIGateway', 'getDomainName', { domainName })
  .expect(ExpectedResult.objectLike({ securityPolicy: 'TLS_1_2', endpointConfiguration: { types: ['REGIONAL'] }, domainNameStatus: 'AVAILABLE' }));
integ.assertions.awsApiCall('ApiGatewayV2', 'getDomainName', { DomainName: `ws.${zoneName}` })
  .expect(ExpectedResult.objectLike({
    DomainNameConfigurations: [Match.objectLike({ EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2', DomainNameStatus: 'AVAILABLE' })],
  }));

// The base path serves the REST API through the alias record.
integ.assertions.httpApiCall(`${domain.urlForRest('files')}`)
  .expect(ExpectedResult.objectLike({ status: 200, body: { ok: true } }));

app.synth();
