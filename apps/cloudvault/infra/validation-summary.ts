import { Stack, Stage, Validations, cx_api as cxapi } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Prints what was synthesized and validated: stacks, resources, packs, findings, acknowledgements. */
export function printValidationSummary(assembly: cxapi.CloudAssembly, stacks: Stack[], packNames: string[]): void {
  const rows = stacks.map((stack) => {
    // Stacks of a stage sit in the stage's nested assembly (cached by the app's synth).
    const template = Stage.of(stack)!.synth().getStackArtifact(stack.artifactId).template;
    const acknowledged = ownConstructs(stack).flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .reduce((n, m) => n + Object.keys(m.data ?? {}).length, 0);
    // The construct path (what `cdk deploy` selects by): pipeline stages repeat the stack names.
    return { stack: stack.node.path, resources: Object.keys(template.Resources ?? {}).length, acknowledged };
  });
  const lines = [
    `CloudVault synthesized to ${assembly.directory}`,
    `cdk-nag packs: ${packNames.join(', ')}`,
    ...rows.map((r) => `  ${r.stack}: ${r.resources} resources, 0 unacknowledged findings, ${r.acknowledged} acknowledged rule ids`),
    'Validation: PASSED (synthesis fails with the report on any unacknowledged finding)',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** The constructs of `scope` outside the stages nested in it (a pipeline stack holds its stages). */
function ownConstructs(scope: IConstruct): IConstruct[] {
  return [scope, ...scope.node.children.filter((c) => !Stage.isStage(c)).flatMap(ownConstructs)];
}
