/**
 * The architecture picture of patch-tracker (dev profile) in README.md (apps/kit/build/readme-diagram.ts):
 * `npx projen patch-tracker:diagram` writes it; apps/patch-tracker/test/architecture.test.ts fails when it is out of date.
 */
import { EnvironmentConfig } from '../../../src';
import { ReadmeDiagram } from '../../kit/build/readme-diagram';
import { PatchTracker } from '../infra/patch-tracker-stage';

export const DIAGRAM = new ReadmeDiagram('patch-tracker', (scope) => {
  const stage = new PatchTracker(scope, 'PatchTracker-dev', { profile: EnvironmentConfig.dev(), env: { account: '111111111111', region: 'eu-west-1' } });
  return { stage, stacks: stage.stacks };
});

if (require.main === module) DIAGRAM.writeToReadme();
