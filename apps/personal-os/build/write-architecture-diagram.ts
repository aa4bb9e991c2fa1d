/**
 * The architecture picture of personal-os (dev profile) in README.md (apps/kit/build/readme-diagram.ts):
 * `npx projen personal-os:diagram` writes it; apps/personal-os/test/architecture.test.ts fails when it is out of date.
 */
import { EnvironmentConfig } from '../../../src';
import { ReadmeDiagram } from '../../kit/build/readme-diagram';
import { PersonalOs } from '../infra/personal-os-stage';

export const DIAGRAM = new ReadmeDiagram('personal-os', (scope) => {
  const stage = new PersonalOs(scope, 'PersonalOs-dev', { profile: EnvironmentConfig.dev(), env: { account: '111111111111', region: 'eu-west-1' } });
  return { stage, stacks: stage.stacks };
});

if (require.main === module) DIAGRAM.writeToReadme();
