/**
 * Compares a freshly synthesized integ app with its committed snapshot, the way integ-runner's
 * snapshot test does (cloudformation-diff's fullDiff, asset hashes canonicalized), and
 * classifies every resource change by its deployment impact.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ResourceImpact, TemplateDiff, formatDifferences, fullDiff } from '@aws-cdk/cloudformation-diff';
// The resource model cloudformation-diff itself uses for replacement rules; it also records
// which resource types hold state (tables, buckets, keys, log groups, queues, user pools...).
import { loadResourceModel } from '@aws-cdk/cloudformation-diff/lib/diff/util';

export type Template = { [key: string]: any };

/** One changed resource of a stack template. */
export interface ResourceChange {
  readonly logicalId: string;
  /** The resource type (the old one when the type changed). */
  readonly type: string;
  /** Construct path, when the assembly metadata names it. */
  readonly path?: string;
  readonly impact: ResourceImpact;
  /** Replacement (certain or possible), deletion, or removal from the stack (orphaning). */
  readonly destructive: boolean;
  /** The resource type holds data that a replacement or deletion loses. */
  readonly stateful: boolean;
}

const DESTRUCTIVE_IMPACTS = new Set<ResourceImpact>([
  ResourceImpact.WILL_REPLACE,
  ResourceImpact.MAY_REPLACE,
  ResourceImpact.WILL_DESTROY,
  ResourceImpact.WILL_ORPHAN,
]);

/** True if CloudFormation's resource model marks `type` as stateful. */
export function isStatefulType(type: string): boolean {
  return loadResourceModel(type)?.isStateful === true;
}

/**
 * Replaces asset hashes with `Asset1`, `Asset2`... (numbered in asset-manifest order), so that
 * a change of asset content alone is no template difference, as in integ-runner.
 */
export function canonicalizeTemplate(template: Template, assetIds: string[]): Template {
  const subs = [...new Set(assetIds)].map((id, i) => [new RegExp(escapeRegExp(id), 'g'), `Asset${i + 1}`] as const);
  const sub = (s: string) => subs.reduce((acc, [re, to]) => acc.replace(re, to), s);
  const walk = (v: any): any => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [sub(k), walk(x)]));
    return typeof v === 'string' ? sub(v) : v;
  };
  return walk(template);
}

/**
 * Blanks the `salt` of integ-tests assertion resources: it is Date.now() at synthesis (so that
 * assertions run on every deployment). integ/support/synth.ts fixes the clock, but a snapshot
 * written by integ-runner itself carries the time it was made.
 */
export function withoutAssertionSalts(template: Template): Template {
  const resources = Object.entries<any>(template.Resources ?? {}).map(([id, r]) =>
    String(r.Type).startsWith('Custom::DeployAssert@') && r.Properties?.salt !== undefined
      ? [id, { ...r, Properties: { ...r.Properties, salt: 'SALT' } }]
      : [id, r]);
  return template.Resources ? { ...template, Resources: Object.fromEntries(resources) } : template;
}

/** How to compare one stack. */
export interface CompareOptions {
  /** Asset ids of the expected (snapshot) stack. */
  readonly expectedAssets?: string[];
  /** Asset ids of the actual (fresh) stack. */
  readonly actualAssets?: string[];
  /** Compare asset hashes too (integ-runner's `diffAssets`). @default false */
  readonly diffAssets?: boolean;
  /** Logical id -> construct path, for messages. */
  readonly paths?: Record<string, string>;
}

/** The difference between two templates of one stack. */
export interface TemplateComparison {
  readonly diff: TemplateDiff;
  /** Every changed resource, in logical-id order. */
  readonly changes: ResourceChange[];
}

/** Diffs `expected` (deployed/committed) against `actual` (new) and classifies resource changes. */
export function compareTemplates(expected: Template, actual: Template, options: CompareOptions = {}): TemplateComparison {
  const canonical = (t: Template, assets?: string[]) =>
    withoutAssertionSalts(options.diffAssets ? t : canonicalizeTemplate(t, assets ?? []));
  const diff = fullDiff(canonical(expected, options.expectedAssets), canonical(actual, options.actualAssets));
  const changes: ResourceChange[] = [];
  diff.resources.forEachDifference((logicalId, change) => {
    const type = change.oldValue?.Type ?? change.newValue?.Type ?? 'unknown';
    // A removal is WILL_DESTROY, or WILL_ORPHAN when the resource is retained.
    const impact = change.changeImpact;
    changes.push({
      logicalId,
      type,
      path: options.paths?.[logicalId],
      impact,
      destructive: DESTRUCTIVE_IMPACTS.has(impact),
      stateful: isStatefulType(type),
    });
  });
  return { diff, changes: changes.sort((x, y) => x.logicalId.localeCompare(y.logicalId)) };
}

/** One stack of a cloud assembly, with what the comparison needs. */
export interface AssemblyStack {
  readonly id: string;
  readonly template: Template;
  readonly assetIds: string[];
  /** Logical id -> construct path (from the `aws:cdk:logicalId` metadata). */
  readonly paths: Record<string, string>;
}

/** What integ.json says about the stacks of a test case. */
interface TestCaseOptions {
  readonly diffAssets: boolean;
  readonly allowDestroy: string[];
}

/** Stacks of the cloud assembly in `dir`, by artifact id, and their integ.json test-case options. */
export function readAssembly(dir: string): { stacks: Map<string, AssemblyStack>; options: Map<string, TestCaseOptions> } {
  const manifest = readJson(path.join(dir, 'manifest.json'));
  const artifacts: Record<string, any> = manifest.artifacts ?? {};
  const stacks = new Map<string, AssemblyStack>();
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const assetManifest = Object.values(artifacts)
      .find((a: any) => a.type === 'cdk:asset-manifest' && a.properties?.file === `${id}.assets.json`);
    const metadata = artifact.additionalMetadataFile
      ? readJson(path.join(dir, artifact.additionalMetadataFile))
      : artifact.metadata ?? {};
    const paths: Record<string, string> = {};
    for (const [constructPath, entries] of Object.entries<any[]>(metadata)) {
      for (const e of entries) if (e.type === 'aws:cdk:logicalId') paths[e.data] = constructPath.replace(/^\//, '');
    }
    stacks.set(id, {
      id,
      template: readJson(path.join(dir, artifact.properties.templateFile)),
      assetIds: assetManifest ? assetIdsOf(readJson(path.join(dir, assetManifest.properties.file))) : [],
      paths,
    });
  }
  const options = new Map<string, TestCaseOptions>();
  const integFile = path.join(dir, 'integ.json');
  const testCases: Record<string, any> = fs.existsSync(integFile) ? readJson(integFile).testCases ?? {} : {};
  for (const tc of Object.values(testCases)) {
    for (const s of [...tc.stacks ?? [], tc.assertionStackName].filter(Boolean)) {
      options.set(s, { diffAssets: tc.diffAssets ?? false, allowDestroy: tc.allowDestroy ?? [] });
    }
  }
  return { stacks, options };
}

// Assets whose source is staged in the assembly (asset.*), as integ-runner counts them.
function assetIdsOf(assetManifest: any): string[] {
  const files = Object.entries<any>(assetManifest.files ?? {})
    .filter(([, a]) => String(a.source?.path ?? '').startsWith('asset.'));
  const images = Object.entries<any>(assetManifest.dockerImages ?? {})
    .filter(([, a]) => String(a.source?.directory ?? '').startsWith('asset.'));
  return [...files, ...images].map(([id]) => id);
}

/**
 * Assertions of the test cases in the assembly in `dir`: awsApiCall, invokeFunction or
 * httpApiCall resources with an expectation (`.expect()`, `.assertAtPath()`), and
 * `assertions.expect()`. A call without an expectation checks nothing and is not counted.
 */
export function assertionIds(dir: string): string[] {
  const { stacks } = readAssembly(dir);
  const testCases: Record<string, any> = readJson(path.join(dir, 'integ.json')).testCases ?? {};
  return Object.values(testCases).flatMap((tc) => {
    const resources: Record<string, any> = stacks.get(tc.assertionStackName)?.template.Resources ?? {};
    return Object.entries(resources)
      .filter(([, r]) => String(r.Type).startsWith('Custom::DeployAssert@')
        && (r.Properties?.expected !== undefined || r.Type === 'Custom::DeployAssert@AssertEquals'))
      .map(([id]) => `${tc.assertionStackName}/${id}`);
  });
}

/** The comparison of one stack present in the snapshot, the fresh synthesis, or both. */
export interface StackComparison extends TemplateComparison {
  readonly stack: string;
  /** 'changed', or the side the stack is missing from. */
  readonly status: 'changed' | 'only-in-snapshot' | 'only-in-app';
  /** Resource types the test case allows to be destroyed (integ.json `allowDestroy`). */
  readonly allowDestroy: string[];
}

/** Compares every stack of two assemblies; returns only the stacks that differ. */
export function compareAssemblies(snapshotDir: string, actualDir: string): StackComparison[] {
  const expected = readAssembly(snapshotDir);
  const actual = readAssembly(actualDir);
  const ids = [...new Set([...expected.stacks.keys(), ...actual.stacks.keys()])].sort();
  const result: StackComparison[] = [];
  for (const id of ids) {
    const e = expected.stacks.get(id);
    const a = actual.stacks.get(id);
    const opts = actual.options.get(id) ?? expected.options.get(id) ?? { diffAssets: false, allowDestroy: [] };
    const comparison = compareTemplates(e?.template ?? {}, a?.template ?? {}, {
      expectedAssets: e?.assetIds,
      actualAssets: a?.assetIds,
      diffAssets: opts.diffAssets,
      paths: { ...e?.paths, ...a?.paths },
    });
    const status = !e ? 'only-in-app' : !a ? 'only-in-snapshot' : 'changed';
    if (status !== 'changed' || !comparison.diff.isEmpty) {
      result.push({ ...comparison, stack: id, status, allowDestroy: opts.allowDestroy });
    }
  }
  return result;
}

/** Destructive changes the test case did not allow (integ-runner's "destructive changes"). */
export function destructiveChanges(stack: StackComparison): ResourceChange[] {
  return stack.changes.filter((c) => c.destructive && !stack.allowDestroy.includes(c.type));
}

/**
 * A readable report of the differences, stateful replacements and deletions first; empty when
 * there are none. `updateCommand` is what regenerates the snapshot.
 */
export function formatReport(stacks: StackComparison[], updateCommand: string): string {
  if (stacks.length === 0) return '';
  const lines: string[] = [];
  const destructive = stacks.flatMap((s) => destructiveChanges(s).map((c) => ({ stack: s.stack, c })));
  const describe = ({ stack, c }: { stack: string; c: ResourceChange }) =>
    `  ${verb(c.impact)}  ${c.type} ${c.path ?? c.logicalId} (${stack}/${c.logicalId})`;
  const stateful = destructive.filter((d) => d.c.stateful);
  if (stateful.length > 0) {
    lines.push('!!! STATEFUL RESOURCES WOULD BE REPLACED, DESTROYED OR ORPHANED by this change '
      + '(a replacement or deletion loses their data; an orphan leaves the stack with it):',
    ...stateful.map(describe), '');
  }
  const other = destructive.filter((d) => !d.c.stateful);
  if (other.length > 0) lines.push('Stateless resources replaced or destroyed:', ...other.map(describe), '');
  for (const s of stacks) {
    const where = s.status === 'only-in-snapshot' ? ' (in the snapshot only: the app no longer synthesizes it)'
      : s.status === 'only-in-app' ? ' (new: not in the snapshot)' : '';
    lines.push(`Stack ${s.stack}${where}:`, formatDiff(s.diff, s.changes));
  }
  lines.push('', `If the change is intended, regenerate the snapshot and commit it with the change: ${updateCommand}`);
  return lines.join('\n');
}

function verb(impact: ResourceImpact): string {
  switch (impact) {
    case ResourceImpact.WILL_REPLACE: return 'REPLACE      ';
    case ResourceImpact.MAY_REPLACE: return 'MAY REPLACE  ';
    case ResourceImpact.WILL_DESTROY: return 'DESTROY      ';
    case ResourceImpact.WILL_ORPHAN: return 'ORPHAN (kept)';
    default: return impact;
  }
}

/** cloudformation-diff's own rendering, without colours. */
function formatDiff(diff: TemplateDiff, changes: ResourceChange[]): string {
  let out = '';
  const stream = { write: (chunk: any) => { out += String(chunk); return true; } } as unknown as NodeJS.WritableStream;
  const paths = Object.fromEntries(changes.filter((c) => c.path).map((c) => [c.logicalId, c.path!]));
  formatDifferences(stream, diff, paths);
  // eslint-disable-next-line no-control-regex
  return out.replace(/\u001b\[[0-9;]*m/g, '').trimEnd();
}

function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
