/**
 * Unit tests of the integ snapshot machinery (integ/support/): the diff classification on
 * hand-made templates, so we know the snapshot check fails when it must, and the file handling.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { Template, assertionIds, compareAssemblies, compareTemplates, formatReport, isStatefulType } from '../integ/support/snapshot-diff';
import { REPO_ROOT, findIntegApps, findSnapshotNames, integRunnerContext, synthIntegApp, withoutTraces, writeSnapshot } from '../integ/support/synth';

const table = (keySchema: string, tags: Record<string, string> = {}) => ({
  Type: 'AWS::DynamoDB::Table',
  Properties: {
    KeySchema: [{ AttributeName: keySchema, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: keySchema, AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  },
  DeletionPolicy: 'Delete',
});
const bucket = (extra: object = {}) => ({ Type: 'AWS::S3::Bucket', Properties: { VersioningConfiguration: { Status: 'Enabled' } }, ...extra });
const topic = (name: string) => ({ Type: 'AWS::SNS::Topic', Properties: { TopicName: name } });
const only = (t: Template, e: Template) => {
  const { changes } = compareTemplates(t, e);
  expect(changes).toHaveLength(1);
  return changes[0];
};

describe('compareTemplates', () => {
  test('a changed DynamoDB key schema replaces a stateful resource', () => {
    const change = only({ Resources: { Table: table('pk') } }, { Resources: { Table: table('id') } });
    expect(change).toMatchObject({ logicalId: 'Table', type: 'AWS::DynamoDB::Table', impact: ResourceImpact.WILL_REPLACE, destructive: true, stateful: true });
  });

  test('a removed S3 bucket is destroyed, or orphaned when retained', () => {
    expect(only({ Resources: { Bucket: bucket() } }, { Resources: {} }))
      .toMatchObject({ impact: ResourceImpact.WILL_DESTROY, destructive: true, stateful: true });
    expect(only({ Resources: { Bucket: bucket({ DeletionPolicy: 'Retain' }) } }, { Resources: {} }))
      .toMatchObject({ impact: ResourceImpact.WILL_ORPHAN, destructive: true, stateful: true });
  });

  test('a changed tag is a plain update', () => {
    const change = only({ Resources: { Table: table('pk', { Owner: 'a' }) } }, { Resources: { Table: table('pk', { Owner: 'b' }) } });
    expect(change).toMatchObject({ impact: ResourceImpact.WILL_UPDATE, destructive: false, stateful: true });
  });

  test('a renamed topic is a destructive change of a stateless resource', () => {
    expect(only({ Resources: { T: topic('a') } }, { Resources: { T: topic('b') } }))
      .toMatchObject({ impact: ResourceImpact.WILL_REPLACE, destructive: true, stateful: false });
  });

  test('a moved construct (new logical id) destroys the old resource and creates a new one', () => {
    const { changes } = compareTemplates({ Resources: { Old: bucket() } }, { Resources: { New: bucket() } });
    expect(changes.map((c) => [c.logicalId, c.impact])).toEqual([
      ['New', ResourceImpact.WILL_CREATE],
      ['Old', ResourceImpact.WILL_DESTROY],
    ]);
  });

  test('identical templates have no difference', () => {
    const { diff, changes } = compareTemplates({ Resources: { Table: table('pk') } }, { Resources: { Table: table('pk') } });
    expect(diff.isEmpty).toBe(true);
    expect(changes).toEqual([]);
  });

  test('asset hashes are ignored unless diffAssets is set, as in integ-runner', () => {
    const fn = (hash: string) => ({ Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Key: `${hash}.zip` } } } } });
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    expect(compareTemplates(fn(a), fn(b), { expectedAssets: [a], actualAssets: [b] }).diff.isEmpty).toBe(true);
    expect(compareTemplates(fn(a), fn(b), { expectedAssets: [a], actualAssets: [b], diffAssets: true }).diff.isEmpty).toBe(false);
    // a hash that is not an asset of the stack is a real change
    expect(compareTemplates(fn(a), fn(b)).diff.isEmpty).toBe(false);
  });

  test('the salt of assertion resources (their synthesis time) is no difference; other changes to them are', () => {
    const call = (salt: string, expected: string) => ({
      Resources: { Call: { Type: 'Custom::DeployAssert@SdkCallSQSlistQueueTags', Properties: { api: 'listQueueTags', expected, salt } } },
    });
    expect(compareTemplates(call('1577836800000', '{}'), call('1795496120233', '{}')).diff.isEmpty).toBe(true);
    // cloudformation-diff has no model of custom resources, so it gives no impact, but the change counts
    const changed = compareTemplates(call('1', '{}'), call('1', '{"Tags":{}}'));
    expect(changed.diff.isEmpty).toBe(false);
    expect(changed.changes).toMatchObject([{ logicalId: 'Call', destructive: false }]);
  });

  test('knows the stateful types of CloudFormation', () => {
    for (const type of ['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::SQS::Queue', 'AWS::Cognito::UserPool']) {
      expect([type, isStatefulType(type)]).toEqual([type, true]);
    }
    for (const type of ['AWS::Lambda::Function', 'AWS::IAM::Role', 'AWS::SNS::Topic', 'AWS::CloudWatch::Alarm']) {
      expect([type, isStatefulType(type)]).toEqual([type, false]);
    }
  });
});

describe('compareAssemblies and formatReport', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-support-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A minimal cloud assembly: stacks with inline logical-id metadata, plus integ.json. */
  function assembly(name: string, stacks: Record<string, Template>, allowDestroy?: string[]): string {
    const out = path.join(dir, name);
    fs.mkdirSync(out);
    const artifacts: Record<string, any> = {};
    for (const [id, template] of Object.entries(stacks)) {
      fs.writeFileSync(path.join(out, `${id}.template.json`), JSON.stringify(template));
      const metadata = Object.fromEntries(Object.keys(template.Resources ?? {})
        .map((logicalId) => [`/${id}/${logicalId}/Resource`, [{ type: 'aws:cdk:logicalId', data: logicalId }]]));
      artifacts[id] = { type: 'aws:cloudformation:stack', properties: { templateFile: `${id}.template.json` }, metadata };
    }
    fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify({ version: '55.0.0', artifacts }));
    fs.writeFileSync(path.join(out, 'integ.json'), JSON.stringify({
      version: '55.0.0',
      testCases: { 'Test/DefaultTest': { stacks: Object.keys(stacks).filter((s) => s !== 'Assert'), assertionStackName: 'Assert', allowDestroy } },
    }));
    return out;
  }

  test('counts assertions: calls with an expectation and assertions.expect(), not bare calls', () => {
    const call = (expected?: string) => ({ Type: 'Custom::DeployAssert@SdkCallSQSlistQueueTags', Properties: { api: 'listQueueTags', expected } });
    const stacks = (resources: Template) => ({ Data: { Resources: { Table: table('pk') } }, Assert: { Resources: resources } });
    expect(assertionIds(assembly('bare', stacks({ Bare: call(), Fn: { Type: 'AWS::Lambda::Function' } })))).toEqual([]);
    expect(assertionIds(assembly('some', stacks({
      Bare: call(),
      Tags: call('{"$ObjectLike":{}}'),
      Equals: { Type: 'Custom::DeployAssert@AssertEquals', Properties: { actual: 'x' } },
    })))).toEqual(['Assert/Tags', 'Assert/Equals']);
  });

  test('identical assemblies give an empty report', () => {
    const stacks = { Data: { Resources: { Table: table('pk') } }, Assert: { Resources: { T: topic('t') } } };
    expect(formatReport(compareAssemblies(assembly('a', stacks), assembly('b', stacks)), 'update')).toBe('');
  });

  test('a replaced table is named first, before the diff, with the update command', () => {
    const snapshot = assembly('snap', { Data: { Resources: { Table: table('pk'), T: topic('a') } } });
    const actual = assembly('new', { Data: { Resources: { Table: table('id'), T: topic('b') } } });
    const stacks = compareAssemblies(snapshot, actual);
    expect(stacks.map((s) => [s.stack, s.status])).toEqual([['Data', 'changed']]);
    const report = formatReport(stacks, 'npx projen integ:snapshot x');
    expect(report).toMatch(/^!!! STATEFUL RESOURCES WOULD BE REPLACED.*\n {2}REPLACE +AWS::DynamoDB::Table Data\/Table\/Resource \(Data\/Table\)\n/);
    expect(report).toMatch(/Stateless resources replaced or destroyed:\n {2}REPLACE +AWS::SNS::Topic Data\/T\/Resource/);
    expect(report).toContain('[~] AWS::DynamoDB::Table');
    expect(report).toMatch(/npx projen integ:snapshot x$/);
  });

  test('a plain update fails the comparison without a destructive callout', () => {
    const report = formatReport(compareAssemblies(
      assembly('snap', { Data: { Resources: { Table: table('pk', { Owner: 'a' }) } } }),
      assembly('new', { Data: { Resources: { Table: table('pk', { Owner: 'b' }) } } }),
    ), 'update');
    expect(report).toMatch(/^Stack Data:\nResources\n\[~\] AWS::DynamoDB::Table/);
    expect(report).not.toMatch(/REPLACED|destroyed/);
  });

  test('a stack the app no longer synthesizes destroys its resources; a new stack is reported too', () => {
    const stacks = compareAssemblies(
      assembly('snap', { Old: { Resources: { Bucket: bucket() } } }),
      assembly('new', { Fresh: { Resources: { T: topic('t') } } }),
    );
    expect(stacks.map((s) => [s.stack, s.status])).toEqual([['Fresh', 'only-in-app'], ['Old', 'only-in-snapshot']]);
    const report = formatReport(stacks, 'update');
    expect(report).toMatch(/DESTROY +AWS::S3::Bucket Old\/Bucket\/Resource/);
    expect(report).toContain('Stack Old (in the snapshot only');
  });

  test('allowDestroy in integ.json silences the callout for that type, not the difference', () => {
    const report = formatReport(compareAssemblies(
      assembly('snap', { Data: { Resources: { Table: table('pk') } } }, ['AWS::DynamoDB::Table']),
      assembly('new', { Data: { Resources: { Table: table('id') } } }, ['AWS::DynamoDB::Table']),
    ), 'update');
    expect(report).not.toContain('STATEFUL');
    expect(report).toContain('[~] AWS::DynamoDB::Table');
  });
});

describe('synth helpers', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-support-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('finds integ apps and snapshots by name, file name or path', () => {
    for (const f of ['integ.b.ts', 'integ.a.ts', 'helper.ts', 'integ.a.ts.snapshot', 'integ.old.ts.snapshot']) {
      if (f.endsWith('.snapshot')) fs.mkdirSync(path.join(dir, f));
      else fs.writeFileSync(path.join(dir, f), '');
    }
    expect(findIntegApps([], dir).map((a) => a.name)).toEqual(['a', 'b']);
    expect(findIntegApps(['b', 'integ.a.ts', path.join(dir, 'integ.b.ts')], dir).map((a) => a.name)).toEqual(['b', 'a', 'b']);
    expect(findIntegApps(['a'], dir)[0].snapshotDir).toBe(path.join(dir, 'integ.a.ts.snapshot'));
    expect(() => findIntegApps(['nope'], dir)).toThrow(/No integ app "nope".*known: a, b/);
    expect(findSnapshotNames(dir)).toEqual(['a', 'old']);
  });

  test('writeSnapshot copies the assembly without asset sources or the asset cache', () => {
    const out = path.join(dir, 'out');
    for (const d of ['asset.1234.bundle', '.cache']) fs.mkdirSync(path.join(out, d), { recursive: true });
    for (const f of ['manifest.json', 'S.template.json', 'asset.5678.zip', 'asset.1234.bundle/index.js']) fs.writeFileSync(path.join(out, f), '{}');
    const snapshot = path.join(dir, 'integ.x.ts.snapshot');
    fs.mkdirSync(snapshot);
    fs.writeFileSync(path.join(snapshot, 'stale.json'), '{}');
    writeSnapshot(out, snapshot);
    expect(fs.readdirSync(snapshot).sort()).toEqual(['S.template.json', 'manifest.json']);
  });

  test('writeSnapshot drops stack traces from construct metadata, in nested assemblies too', () => {
    const out = path.join(dir, 'out');
    const nested = path.join(out, 'assembly-Stage');
    fs.mkdirSync(nested, { recursive: true });
    const trace = [`    at new AlarmSet (${path.join(REPO_ROOT, 'src/monitoring/alarm-set.ts')}:273:18)`];
    const metadata = {
      '/S/Alarm': [
        { type: 'aws:cdk:acknowledged-rules', data: { 'AwsSolutions-X': 'why' }, trace },
        { type: 'aws:cdk:logicalId', data: 'Alarm1234' },
      ],
    };
    const manifest = { version: '55.0.0', artifacts: { S: { type: 'aws:cloudformation:stack', metadata } } };
    fs.writeFileSync(path.join(out, 'S.metadata.json'), JSON.stringify(metadata));
    fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest));
    fs.writeFileSync(path.join(nested, 'T.metadata.json'), JSON.stringify(metadata));
    const snapshot = path.join(dir, 'integ.x.ts.snapshot');
    writeSnapshot(out, snapshot);
    const expected = { '/S/Alarm': [{ type: 'aws:cdk:acknowledged-rules', data: { 'AwsSolutions-X': 'why' } }, metadata['/S/Alarm'][1]] };
    const read = (f: string) => JSON.parse(fs.readFileSync(path.join(snapshot, f), 'utf8'));
    expect(read('S.metadata.json')).toEqual(expected);
    expect(read('assembly-Stage/T.metadata.json')).toEqual(expected);
    expect(read('manifest.json').artifacts.S.metadata).toEqual(expected);
    expect(withoutTraces(metadata)).toEqual(expected);
  });

  test('writeSnapshot fails, naming the file, when a machine path is left in the snapshot', () => {
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'manifest.json'), '{}');
    fs.writeFileSync(path.join(out, 'tree.json'), JSON.stringify({ source: path.join(REPO_ROOT, 'integ/integ.x.ts') }));
    fs.writeFileSync(path.join(out, 'S.assets.json'), JSON.stringify({ path: path.join(out, 'asset.1') }));
    expect(() => writeSnapshot(out, path.join(dir, 'integ.x.ts.snapshot')))
      .toThrow(/absolute path of this machine.*: .*integ\.x\.ts\.snapshot\/S\.assets\.json, .*integ\.x\.ts\.snapshot\/tree\.json$/);
  });

  test('synthesizes with integ-runner\'s recommended flags, minus target partitions', () => {
    const context = integRunnerContext();
    expect(context['@aws-cdk/aws-iam:minimizePolicies']).toBe(true);
    expect(context).not.toHaveProperty(['@aws-cdk/core:target-partitions']);
    expect(context['aws:cdk:disable-version-reporting']).toBe(true);
  });

  test('an app that writes no assembly or throws is reported by file name, and the environment is restored', () => {
    const silent = path.join(dir, 'integ.silent.js');
    fs.writeFileSync(silent, '// forgets app.synth()\n');
    const broken = path.join(dir, 'integ.broken.js');
    fs.writeFileSync(broken, 'throw new Error("boom");\n');
    const before = process.env.CDK_OUTDIR;
    const app = (file: string) => ({ name: 'x', file, snapshotDir: '' });
    expect(() => synthIntegApp(app(silent), path.join(dir, 'o1'))).toThrow(/integ\.silent\.js wrote no integ\.json/);
    expect(() => synthIntegApp(app(broken), path.join(dir, 'o2'))).toThrow(/integ\.broken\.js failed to synthesize: Error: boom/);
    expect(process.env.CDK_OUTDIR).toBe(before);
  });
});
