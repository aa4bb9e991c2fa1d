import * as path from 'path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, AppProps, CfnElement, IPolicyValidationContextBeta1, Stack, Stage, Validations } from 'aws-cdk-lib';
import {
  AwsSolutionsChecks,
  HIPAASecurityChecks,
  NIST80053R5Checks,
  NagPack,
  PCIDSS321Checks,
  ServerlessChecks,
} from 'cdk-nag';
import { IConstruct } from 'constructs';

/** One unacknowledged cdk-nag finding: rule id (with finding suffix) and the resource path. */
export interface NagFinding {
  readonly pack: string;
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
  readonly description: string;
}

/** The five packs every construct must pass. */
export function allNagPacks(): NagPack[] {
  return [
    new AwsSolutionsChecks(),
    new HIPAASecurityChecks(),
    new NIST80053R5Checks(),
    new PCIDSS321Checks(),
    new ServerlessChecks(),
  ];
}

/**
 * A test App: bundling skipped (tests assert templates, not bundles) and the bundled
 * CloudFormation validation turned into errors so its findings fail synth.
 */
export function testApp(props: AppProps = {}): App {
  return new App({
    ...props,
    context: {
      'aws:cdk:bundling-stacks': [],
      '@aws-cdk/core:validateAgainstDefaultRules': true,
      ...props.context,
    },
  });
}

/** A stack in a concrete account/region so region-dependent rules evaluate. */
export function testStack(app: App = testApp(), id = 'Test'): Stack {
  return new Stack(app, id, { env: { account: '123456789012', region: 'eu-west-1' } });
}

/**
 * Synthesizes the scope's app (so aspects such as tags have run) and returns every
 * unacknowledged finding of the five packs and of the AWS Control Tower proactive controls.
 * Warnings count as findings. `controlTower: false` skips the Control Tower rules (cfn-guard costs
 * about 20 s of CPU on a 240-resource template) where the same stacks are checked elsewhere.
 */
export function nagFindings(scope: IConstruct, options: { readonly controlTower?: boolean } = {}): NagFinding[] {
  const root = scope.node.root as App;
  root.synth();
  const findings: NagFinding[] = options.controlTower === false ? [] : controlTowerFindings(scope);
  for (const pack of allNagPacks()) {
    const report = pack.validateScope(scope);
    for (const v of report.violations) {
      for (const r of v.violatingResources) {
        findings.push({
          pack: pack.readPackName,
          rule: v.ruleName,
          severity: String(v.severity ?? ''),
          path: r.constructPath ?? '',
          description: v.description,
        });
      }
    }
  }
  return findings;
}

/** Human-readable listing, one finding a line, for failure messages. */
export function formatFindings(findings: NagFinding[]): string {
  return findings.map((f) => `${f.severity.padEnd(7)} ${f.rule}  ${f.path}  (${f.description})`).join('\n');
}

/** Fails with the full listing when the scope has any unacknowledged finding. */
export function expectNagClean(scope: IConstruct): void {
  const findings = nagFindings(scope);
  if (findings.length > 0) {
    throw new Error(`${findings.length} unacknowledged cdk-nag finding(s):\n${formatFindings(findings)}`);
  }
}

/** Registers the packs as validation plugins, as a user's app would. */
export function addNagPlugins(app: App): void {
  Validations.of(app).addPlugins(...allNagPacks());
}

/** The pack name under which Control Tower findings are listed. */
export const CONTROL_TOWER = 'ControlTower';
const guard = new CfnGuardValidator();

/**
 * The AWS Control Tower proactive controls (the cfn-guard rules of `@cdklabs/cdk-validator-cfnguard`)
 * over the synthesized templates of the stacks in the scope, less what is acknowledged with
 * `cdk-validator-cfnguard::<rule>` on the resource or an ancestor (aws-cdk-lib's own rule). The
 * plugin is called directly rather than registered on every test app: cfn-guard costs about a
 * second a run, and only the compliance checks need it. Call after synthesis.
 */
export function controlTowerFindings(scope: IConstruct): NagFinding[] {
  // The scope's own stacks: those of stages nested in it (a pipeline's) are checked on their own.
  const stage = Stage.of(scope);
  const stacks = scope.node.findAll().filter((c): c is Stack => Stack.isStack(c) && Stage.of(c) === stage);
  if (stacks.length === 0) stacks.push(Stack.of(scope));
  const paths = new Map<string, string>(); // "<template file>/<logical id>" -> construct path
  for (const stack of stacks) {
    for (const el of stack.node.findAll()) {
      if (CfnElement.isCfnElement(el) && el.stack === stack) paths.set(`${stack.templateFile}/${stack.resolve(el.logicalId)}`, el.node.path);
    }
  }
  const templatePaths = stacks.map((s) => path.join(Stage.of(s)!.outdir, s.templateFile));
  const report = guard.validate({ templatePaths } as IPolicyValidationContextBeta1);
  const acks = acknowledgedPaths(scope.node.root);
  const findings: NagFinding[] = [];
  for (const v of report.violations) {
    for (const r of v.violatingResources) {
      const constructPath = paths.get(`${path.basename(r.templatePath)}/${r.resourceLogicalId}`) ?? `${r.templatePath}/${r.resourceLogicalId}`;
      if (!constructPath.startsWith(scope.node.path) || isAcknowledged(acks, `${guard.name}::${v.ruleName}`, constructPath)) continue;
      findings.push({ pack: CONTROL_TOWER, rule: v.ruleName, severity: 'Error', path: constructPath, description: v.description });
    }
  }
  return findings;
}

/** Rule id -> construct paths that acknowledge it (Validations.of(x).acknowledge metadata). */
function acknowledgedPaths(root: IConstruct): Map<string, Set<string>> {
  const acks = new Map<string, Set<string>>();
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== 'aws:cdk:acknowledged-rules' || !entry.data) continue;
      for (const id of Object.keys(entry.data)) {
        if (!acks.has(id)) acks.set(id, new Set());
        acks.get(id)!.add(c.node.path);
      }
    }
  }
  return acks;
}

/** True when the rule is acknowledged on the path or one of its ancestors. */
function isAcknowledged(acks: Map<string, Set<string>>, ruleId: string, constructPath: string): boolean {
  const at = acks.get(ruleId);
  if (!at) return false;
  for (let p = constructPath; p !== ''; p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '') {
    if (at.has(p)) return true;
  }
  return false;
}
