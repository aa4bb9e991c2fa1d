import { awscdk } from 'projen';
import { JobPermission, JobStep } from 'projen/lib/github/workflows-model';

/**
 * The patch tracker's GitHub Actions workflow (`.github/workflows/patch-tracker.yml`): on changes to
 * the app, the kit or the library, lint, type-check and test the app (handlers against DynamoDB
 * Local and the fixture servers, no network beyond npm), then synthesize it for each environment
 * under every compliance gate. It holds no AWS credentials and deploys nothing: the app's
 * DeliveryPipeline (CodePipeline, manual approval before prod) does that from the same branch.
 */
export function addPatchTrackerWorkflow(project: awscdk.AwsCdkConstructLibrary): void {
  const workflow = project.github?.addWorkflow('patch-tracker');
  if (!workflow) return;
  const paths = ['apps/patch-tracker/**', 'apps/kit/**', 'src/**', 'package-lock.json', '.projenrc.ts', 'projenrc/**'];
  workflow.on({ pullRequest: { paths }, push: { branches: ['main'], paths }, workflowDispatch: {} });
  const setup: JobStep[] = [
    { name: 'Checkout', uses: 'actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1' },
    { name: 'Setup Node.js', uses: 'actions/setup-node@v7.0.0', with: { 'node-version': '24.x', 'package-manager-cache': false } },
    { name: 'Install dependencies', run: 'npm ci' },
  ];
  workflow.addJobs({
    check: {
      name: 'Lint, type-check and test',
      runsOn: ['ubuntu-latest'],
      permissions: { contents: JobPermission.READ },
      steps: [
        ...setup,
        { name: 'Type-check', run: 'npx tsc --noEmit -p tsconfig.dev.json' },
        { name: 'Lint', run: 'ESLINT_USE_FLAT_CONFIG=false npx eslint --ext .ts apps/patch-tracker' },
        { name: 'Bundle handlers', run: 'npx projen bundle:handlers' },
        { name: 'Test', run: 'npx jest apps/patch-tracker' },
      ],
    },
    synth: {
      name: 'Synthesize (${{ matrix.environment }})',
      needs: ['check'],
      runsOn: ['ubuntu-latest'],
      permissions: { contents: JobPermission.READ },
      strategy: { matrix: { domain: { environment: ['dev', 'staging', 'prod'] } } },
      steps: [
        ...setup,
        {
          name: 'Synthesize with every compliance gate',
          run: 'npx projen patch-tracker',
          env: { CDK_CONTEXT_JSON: '{"patch-tracker:environment":"${{ matrix.environment }}"}', CDK_OUTDIR: 'cdk.out' },
        },
        { name: 'Upload the cloud assembly', uses: 'actions/upload-artifact@043fb46d1a93c77aae656e7c1c64a875d1fc6a0a', with: { 'name': 'patch-tracker-${{ matrix.environment }}', 'path': 'cdk.out', 'retention-days': 7 } },
      ],
    },
  });
}
