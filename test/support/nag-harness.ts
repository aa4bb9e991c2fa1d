import { App, AppProps, Stack, Validations } from 'aws-cdk-lib';
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
 * unacknowledged finding of the five packs. Warnings count as findings.
 */
export function nagFindings(scope: IConstruct): NagFinding[] {
  const root = scope.node.root as App;
  root.synth();
  const findings: NagFinding[] = [];
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
