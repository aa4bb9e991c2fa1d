import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Stack, Validations, cx_api as cxapi } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, NagPack, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { printValidationSummary } from './validation-summary';
import { StrictValidationPlugin } from '../../../src';

/**
 * Synthesizes `app` under the five cdk-nag packs (AwsSolutions, HIPAA Security, NIST 800-53 R5,
 * PCI DSS 3.2.1, Serverless) and the AWS Control Tower proactive controls, then prints the summary
 * of `stacks`. Synthesis throws, with the report, on any unacknowledged finding. Every app's
 * `infra/main.ts` ends with this call (`npx projen <app>`).
 */
export function synthesizeWithCompliance(app: App, title: string, stacks: Stack[]): cxapi.CloudAssembly {
  const packs: NagPack[] = [
    new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app), new ServerlessChecks(app),
  ];
  // The AWS Control Tower proactive controls, strict so that any violation left fails synthesis.
  const controlTower = new StrictValidationPlugin(new CfnGuardValidator());
  Validations.of(app).addPlugins(...packs, controlTower);

  const assembly = app.synth();
  printValidationSummary(title, assembly, stacks, packs.map((p) => p.readPackName), controlTower.name);
  return assembly;
}
