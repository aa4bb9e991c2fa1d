/**
 * The architecture picture of command-center (dev profile) in README.md (apps/kit/build/readme-diagram.ts):
 * `npx projen command-center:diagram` writes it; apps/command-center/test/architecture.test.ts fails when it is out of date.
 */
import { EnvironmentConfig } from '../../../src';
import { ReadmeDiagram } from '../../kit/build/readme-diagram';
import { CommandCenter } from '../infra/command-center-stage';

export const DIAGRAM = new ReadmeDiagram('command-center', (scope) => {
  const stage = new CommandCenter(scope, 'CommandCenter-dev', { profile: EnvironmentConfig.dev(), env: { account: '111111111111', region: 'eu-west-1' } });
  return { stage, stacks: stage.stacks };
});

if (require.main === module) DIAGRAM.writeToReadme();
