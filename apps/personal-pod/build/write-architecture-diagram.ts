/**
 * The architecture picture of personal-pod (dev profile) in README.md (apps/kit/build/readme-diagram.ts):
 * `npx projen personal-pod:diagram` writes it; apps/personal-pod/test/architecture.test.ts fails when it is out of date.
 */
import { EnvironmentConfig } from '../../../src';
import { ReadmeDiagram } from '../../kit/build/readme-diagram';
import { PersonalPod } from '../infra/personal-pod-stage';

export const DIAGRAM = new ReadmeDiagram('personal-pod', (scope) => {
  const stage = new PersonalPod(scope, 'PersonalPod-dev', { profile: EnvironmentConfig.dev(), env: { account: '111111111111', region: 'eu-west-1' } });
  return { stage, stacks: stage.stacks };
});

if (require.main === module) DIAGRAM.writeToReadme();
