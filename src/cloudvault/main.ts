import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, NagPack, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { CloudVaultCoreStack } from './core-stack';
import { printValidationSummary } from './validation-summary';
import { EnvironmentConfig, RequiredTags } from '../governance';

// Entry of the CloudVault reference app: `npx projen cloudvault` or `npx cdk synth`.
// Profile: `-c cloudvault:environment=dev|staging|prod` (default dev). No AWS credentials needed.
const app = new App({
  outdir: process.env.CDK_OUTDIR ?? 'cdk.out',
  // CloudFormation registry-schema and default-rule findings fail synthesis too.
  context: { '@aws-cdk/core:validateAgainstDefaultRules': true },
});
const config = EnvironmentConfig.fromName(app.node.tryGetContext('cloudvault:environment') ?? 'dev');
const env = {
  account: app.node.tryGetContext('cloudvault:account') ?? process.env.CDK_DEFAULT_ACCOUNT ?? '111111111111',
  region: app.node.tryGetContext('cloudvault:region') ?? process.env.CDK_DEFAULT_REGION ?? 'eu-west-1',
};

const core = new CloudVaultCoreStack(app, `CloudVault-${config.environment}-Core`, { env });
config.applyTo(app);
RequiredTags.applyTo(app, { environment: config.environment, project: 'cloudvault', owner: 'cloudvault-maintainers', costCenter: 'CV-0001' });

const packs: NagPack[] = [
  new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app), new ServerlessChecks(app),
];
Validations.of(app).addPlugins(...packs);

const assembly = app.synth(); // throws, with the report, on any unacknowledged finding
printValidationSummary(assembly, [core], packs.map((p) => p.readPackName));
