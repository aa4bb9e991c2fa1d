/**
 * The architecture picture of the CloudVault reference app (dev profile) in README.md
 * (apps/kit/build/readme-diagram.ts) and in docs/architecture.md. `npx projen cloudvault:diagram`
 * writes both; apps/cloudvault/test/architecture.test.ts fails when README.md is out of date.
 */
import { writeFileSync } from 'fs';
import * as path from 'path';
import { EnvironmentConfig } from '../../../src';
import { ReadmeDiagram } from '../../kit/build/readme-diagram';
import { CloudVault } from '../infra/cloudvault-stage';

export const DIAGRAM = new ReadmeDiagram('cloudvault', (scope) => {
  const stage = new CloudVault(scope, 'CloudVault-dev', { profile: EnvironmentConfig.dev(), env: { account: '111111111111', region: 'eu-west-1' } });
  return { stage, stacks: stage.stacks };
});

if (require.main === module) {
  const block = DIAGRAM.writeToReadme();
  writeFileSync(path.resolve(__dirname, '..', '..', '..', 'docs', 'architecture.md'), [
    '# CloudVault architecture',
    '',
    'Generated from the synthesized reference app (dev profile) by `npx projen cloudvault:diagram`: one box per stack, one node per',
    'top-level construct that owns a notable resource, one arrow per reference between them in the templates',
    '(IAM grants, API integrations, event and schedule targets, cross-stack imports). Keys, the VPC and alarms are',
    'referenced by nearly everything and are drawn without their arrows.',
    '',
    block,
  ].join('\n'));
  console.log('wrote docs/architecture.md');
}
