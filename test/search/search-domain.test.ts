import { RemovalPolicy, Stack, aws_ec2 as ec2, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ManagedPolicyRole } from '../../src/compute/managed-policy-role';
import { EnvironmentConfig } from '../../src/governance';
import { AlarmSet } from '../../src/monitoring';
import { Network } from '../../src/network';
import { SearchDomain, SearchDomainProps } from '../../src/search';
import { expectNagClean, nagFindings, testApp, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

function only(template: Template, type: string): [string, any] {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
}

function logicalId(stack: Stack, construct: any): string {
  return stack.getLogicalId((construct.node.defaultChild ?? construct) as any);
}

describe('SearchDomain with default props (prod profile)', () => {
  let stack: Stack;
  let search: SearchDomain;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    const network = new Network(stack, 'Net');
    search = new SearchDomain(stack, 'Search', { vpc: network.vpc });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectNagClean(stack);
  });

  test('runs 3 data nodes and 3 dedicated masters across 3 AZs in the VPC', () => {
    const [, domain] = only(template, 'AWS::OpenSearchService::Domain');
    expect(domain.Properties.ClusterConfig).toMatchObject({
      InstanceCount: 3,
      InstanceType: 'r7g.large.search',
      DedicatedMasterEnabled: true,
      DedicatedMasterCount: 3,
      DedicatedMasterType: 'm7g.large.search',
      ZoneAwarenessEnabled: true,
      ZoneAwarenessConfig: { AvailabilityZoneCount: 3 },
    });
    expect(domain.Properties.VPCOptions.SubnetIds).toHaveLength(3);
    expect(domain.Properties.VPCOptions.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [logicalId(stack, search.securityGroup), 'GroupId'] }]);
    expect(domain.DeletionPolicy).toBe('Retain');
  });

  test('encrypts at rest with the stack key and between nodes, HTTPS only with TLS 1.2', () => {
    const [, domain] = only(template, 'AWS::OpenSearchService::Domain');
    const [keyId] = only(template, 'AWS::KMS::Key');
    expect(domain.Properties.EncryptionAtRestOptions).toEqual({ Enabled: true, KmsKeyId: { Ref: keyId } });
    expect(domain.Properties.NodeToNodeEncryptionOptions).toEqual({ Enabled: true });
    expect(domain.Properties.DomainEndpointOptions).toMatchObject({ EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' });
  });

  test('fine-grained access control maps the master user to an IAM role', () => {
    const [, domain] = only(template, 'AWS::OpenSearchService::Domain');
    expect(domain.Properties.AdvancedSecurityOptions).toMatchObject({
      Enabled: true,
      InternalUserDatabaseEnabled: false,
      MasterUserOptions: { MasterUserARN: { 'Fn::GetAtt': [logicalId(stack, search.masterRole), 'Arn'] } },
    });
  });

  test('sends all four log types to encrypted log groups of its own, with a plain resource policy and no Lambda', () => {
    const [, domain] = only(template, 'AWS::OpenSearchService::Domain');
    const options = domain.Properties.LogPublishingOptions;
    expect(Object.keys(options).sort()).toEqual(['AUDIT_LOGS', 'ES_APPLICATION_LOGS', 'INDEX_SLOW_LOGS', 'SEARCH_SLOW_LOGS']);
    for (const [i, group] of search.logGroups.entries()) {
      const resource = template.toJSON().Resources[logicalId(stack, group)];
      expect(resource.Properties.KmsKeyId).toBeDefined();
      expect(resource.Properties.RetentionInDays).toBe(365);
      expect(JSON.stringify(Object.values(options))).toContain(logicalId(stack, group));
      expect(i).toBeLessThan(4);
    }
    const [policyId, policy] = only(template, 'AWS::Logs::ResourcePolicy');
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('es.amazonaws.com');
    expect(template.toJSON().Resources[logicalId(stack, search.domain)].DependsOn).toContain(policyId);
    template.resourceCountIs('Custom::CloudwatchLogResourcePolicy', 0);
    template.resourceCountIs('Custom::OpenSearchAccessPolicy', 0);
    expect(Object.values<any>(template.findResources('AWS::Lambda::Function')).filter((f) => !JSON.stringify(f).includes('VpcRestrictDefaultSG'))).toEqual([]);
  });

  test('the access policy, on the L1, allows only this account\'s principals', () => {
    const [, domain] = only(template, 'AWS::OpenSearchService::Domain');
    const [statement] = domain.Properties.AccessPolicies.Statement;
    expect(domain.Properties.AccessPolicies.Statement).toHaveLength(1);
    expect(statement.Effect).toBe('Allow');
    expect(JSON.stringify(statement.Principal)).toContain(':iam::123456789012:root');
    expect(statement.Action).not.toContain('es:*');
  });

  test('alarms on red and yellow status, free storage, JVM pressure, CPU and snapshot failure', () => {
    expect(search.alarms.alarms).toHaveLength(6);
    const metrics = Object.values<any>(template.findResources('AWS::CloudWatch::Alarm'))
      .filter((a) => a.Properties.Namespace === 'AWS/ES').map((a) => a.Properties.MetricName).sort();
    expect(metrics).toEqual(['AutomatedSnapshotFailure', 'CPUUtilization', 'ClusterStatus.red', 'ClusterStatus.yellow', 'FreeStorageSpace', 'JVMMemoryPressure']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'FreeStorageSpace', Threshold: 25600, ComparisonOperator: 'LessThanOrEqualToThreshold' });
  });
});

describe('SearchDomain with a rich configuration (dev profile)', () => {
  let stack: Stack;
  let search: SearchDomain;
  let key: kms.Key;
  let shared: AlarmSet;
  let masterRole: iam.Role;
  let peer: ec2.SecurityGroup;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    const network = new Network(stack, 'Net', { natGateways: 0 });
    key = testKey(stack, 'SearchKey', { removalPolicy: RemovalPolicy.DESTROY });
    shared = new AlarmSet(stack, 'Ops');
    masterRole = new iam.Role(stack, 'SearchAdmin', { assumedBy: new iam.AccountRootPrincipal() });
    peer = network.securityGroupForFunction('Api');
    search = new SearchDomain(stack, 'Search', {
      vpc: network.vpc,
      availabilityZones: 1,
      dataNodes: 1,
      masterNodes: 0,
      dataNodeInstanceType: 't3.small.search',
      volumeSizeGiB: 20,
      encryptionKey: key,
      masterRole,
      allowFrom: [peer],
      alarms: shared,
    });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectNagClean(stack);
  });

  test('dev may run one node in one AZ without dedicated masters, destroyed with the stack', () => {
    const [, domain] = only(template, 'AWS::OpenSearchService::Domain');
    expect(domain.Properties.ClusterConfig).toMatchObject({ InstanceCount: 1, InstanceType: 't3.small.search', DedicatedMasterEnabled: false, ZoneAwarenessEnabled: false });
    expect(domain.Properties.VPCOptions.SubnetIds).toHaveLength(1);
    expect(domain.Properties.EBSOptions).toMatchObject({ VolumeSize: 20, VolumeType: 'gp3' });
    expect(domain.DeletionPolicy).toBe('Delete');
  });

  test('uses the given key and master role, and lets in the peer on 443 only', () => {
    const [, domain] = only(template, 'AWS::OpenSearchService::Domain');
    expect(domain.Properties.EncryptionAtRestOptions.KmsKeyId).toEqual(stack.resolve(key.keyId));
    expect(domain.Properties.AdvancedSecurityOptions.MasterUserOptions.MasterUserARN).toEqual(stack.resolve(masterRole.roleArn));
    const rules = Object.values<any>(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes(`"${logicalId(stack, search.securityGroup)}"`)).map((r) => r.Properties);
    expect(rules.map((r) => [r.SourceSecurityGroupId, r.FromPort, r.ToPort])).toEqual([[{ 'Fn::GetAtt': [logicalId(stack, peer), 'GroupId'] }, 443, 443]]);
  });

  test('puts its six alarms into the shared set', () => {
    expect(search.alarms).toBe(shared);
    expect(shared.alarms).toHaveLength(6);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'FreeStorageSpace', Threshold: 5120 });
  });
});

describe('SearchDomain grants', () => {
  let stack: Stack;
  let search: SearchDomain;
  let name: string;
  const roles: Record<string, ManagedPolicyRole> = {};
  beforeAll(() => {
    stack = testStack();
    search = new SearchDomain(stack, 'Search', { vpc: new Network(stack, 'Net').vpc });
    name = (search.domain.node.defaultChild as any).domainName;
    for (const id of ['Reader', 'Writer', 'IndexReader', 'IndexWriter', 'ByHand']) {
      roles[id] = new ManagedPolicyRole(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    }
    search.grantRead(roles.Reader);
    search.grantReadWrite(roles.Writer);
    search.grantReadIndex(roles.IndexReader, 'entries');
    search.grantReadWriteIndex(roles.IndexWriter, 'entries');
    // The same resources granted without the library: the finding its grants acknowledge.
    iam.Grant.addToPrincipal({ grantee: roles.ByHand, actions: ['es:ESHttpGet'], resourceArns: [`arn:aws:es:eu-west-1:123456789012:domain/${name}/*`] });
  });
  const statements = (id: string) => stack.resolve(roles[id].policy.document.toJSON()).Statement;
  const actions = (id: string) => statements(id).flatMap((s: any) => [s.Action].flat()).sort();
  const resources = (id: string) => statements(id).flatMap((s: any) => [s.Resource].flat());
  const arn = (path: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:es:eu-west-1:123456789012:domain/${path}`]] });

  test('grantRead allows GET and HEAD, grantReadWrite adds the writing methods, on the domain and its paths', () => {
    expect(actions('Reader')).toEqual(['es:ESHttpGet', 'es:ESHttpHead']);
    expect(actions('Writer')).toEqual(['es:ESHttpDelete', 'es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPatch', 'es:ESHttpPost', 'es:ESHttpPut']);
    expect(resources('Reader')).toEqual([arn(name), arn(`${name}/*`)]);
    expect(resources('Writer')).toEqual([arn(name), arn(`${name}/*`)]);
  });

  test('grantReadIndex (GET, HEAD, POST for searches with a body) and grantReadWriteIndex reach one index only', () => {
    expect(actions('IndexReader')).toEqual(['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost']);
    expect(actions('IndexWriter')).toEqual(['es:ESHttpDelete', 'es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPatch', 'es:ESHttpPost', 'es:ESHttpPut']);
    expect(resources('IndexReader')).toEqual([arn(`${name}/entries`), arn(`${name}/entries/*`)]);
    expect(resources('IndexWriter')).toEqual([arn(`${name}/entries`), arn(`${name}/entries/*`)]);
  });

  test('each grant acknowledges its own wildcard (AwsSolutions-IAM5) on the grantee; a grant by hand still raises it', () => {
    const findings = nagFindings(stack);
    expect(findings.map((f) => `${f.rule} ${f.path}`)).toEqual([expect.stringMatching(/^AwsSolutions-IAM5\[Resource::.*:domain\/[a-z0-9-]+\/\*\] Test\/ByHand\//)]);
    const acknowledged = (id: string) => JSON.stringify(roles[id].node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'));
    expect(acknowledged('Reader')).toContain(`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:es:eu-west-1:123456789012:domain/${name}/*]`);
    expect(acknowledged('IndexReader')).toContain(`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:es:eu-west-1:123456789012:domain/${name}/entries/*]`);
    expect(acknowledged('IndexReader')).not.toContain(`domain/${name}/*]`);
  });

  test.each([
    ['Entries', 'indexName must be 1-255 lowercase characters, not starting with "_", "-" or "+", without \\ / * ? " < > | , # : or spaces, got "Entries"'],
    ['_entries', 'indexName must be 1-255 lowercase characters'],
    ['entries/*', 'indexName must be 1-255 lowercase characters'],
    ['..', 'indexName must be 1-255 lowercase characters'],
    [undefined, 'indexName must be an OpenSearch index name, got undefined'],
  ])('an index grant rejects the index name %p', (indexName, message) => {
    expect(() => search.grantReadIndex(roles.ByHand, indexName as any)).toThrow(`SearchDomain "Search" (Test/Search): ${message}`);
    expect(() => search.grantReadWriteIndex(roles.ByHand, indexName as any)).toThrow(message);
  });
});

describe('SearchDomain rejects invalid props', () => {
  let devStack: Stack;
  let devVpc: ec2.IVpc;
  let prodStack: Stack;
  let prodVpc: ec2.IVpc;
  let n = 0;
  beforeAll(() => {
    devStack = testStack(testApp(), 'Dev');
    EnvironmentConfig.dev().applyTo(devStack);
    devVpc = new Network(devStack, 'Net').vpc;
    prodStack = testStack(testApp(), 'Prod');
    prodVpc = new Network(prodStack, 'Net').vpc;
  });
  const dev = (props: Partial<SearchDomainProps>) => new SearchDomain(devStack, `S${n++}`, { vpc: devVpc, ...props });
  const prod = (props: Partial<SearchDomainProps>) => new SearchDomain(prodStack, `S${n++}`, { vpc: prodVpc, ...props });

  test.each([
    [dev, { availabilityZones: 4 }, 'availabilityZones must be an integer 1-3, got 4'],
    [dev, { dataNodes: 0 }, 'dataNodes must be an integer 1-80, got 0'],
    [dev, { volumeSizeGiB: 5 }, 'volumeSizeGiB must be an integer 10-3072, got 5'],
    [dev, { masterNodes: 2 }, 'masterNodes must be 0, 3 or 5 (an odd quorum; 0 = no dedicated masters), got 2'],
    [dev, { dataNodeInstanceType: 'r7g.large' }, 'dataNodeInstanceType must be an OpenSearch instance type such as "r7g.large.search", got "r7g.large"'],
    [dev, { masterNodeInstanceType: 'm7g' }, 'masterNodeInstanceType must be an OpenSearch instance type such as "m7g.large.search", got "m7g"'],
    [dev, { availabilityZones: 2, dataNodes: 3 }, 'dataNodes must be a multiple of availabilityZones (2), got 3'],
    [prod, { availabilityZones: 1, dataNodes: 3 }, 'availabilityZones must be 3 in prod, got 1'],
    [prod, { availabilityZones: 1, dataNodes: 1 }, 'availabilityZones must be 3 in prod, got 1'],
    [prod, { masterNodes: 0 }, 'masterNodes must be 3 or 5 in prod (dedicated masters keep the cluster stable), got 0'],
  ] as const)('%#: %j', (factory, props, message) => {
    const id = `S${n}`;
    expect(() => factory(props as Partial<SearchDomainProps>)).toThrow(`SearchDomain "${id}" (${factory === dev ? 'Dev' : 'Prod'}/${id}): ${message}`);
  });

  test('the VPC needs a subnet in each AZ, and required arguments are checked at run time', () => {
    const stack = testStack(testApp());
    EnvironmentConfig.dev().applyTo(stack);
    const twoAz = new Network(stack, 'Net', { maxAzs: 2 }).vpc;
    expect(() => new SearchDomain(stack, 'Three', { vpc: twoAz })).toThrow(
      'SearchDomain "Three" (Test/Three): vpc must be a VPC with a Isolated subnet in each of 3 AZs, got "2 Isolated subnet(s) in distinct AZs"');
    expect(() => new SearchDomain(stack, 'NoProps', undefined as any)).toThrow('SearchDomain "NoProps" (Test/NoProps): props must be SearchDomainProps (an object with vpc), got undefined');
    expect(() => new SearchDomain(stack, 'NoVpc', {} as any)).toThrow('SearchDomain "NoVpc" (Test/NoVpc): vpc must be an ec2.IVpc (e.g. Network.vpc), got undefined');
    const search = new SearchDomain(stack, 'Ok', { vpc: twoAz, availabilityZones: 2, dataNodes: 2 });
    expect(() => search.allowFrom(undefined as any)).toThrow('SearchDomain "Ok" (Test/Ok): allowFrom(peer) must be an ec2.IConnectable (a function, a security group), got undefined');
    expect(() => search.grantRead(undefined as any)).toThrow('SearchDomain "Ok" (Test/Ok): grantee must be an iam.IGrantable, got undefined');
  });
});
