import { Stack, Stage, Validations, cx_api as cxapi } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Prints what was synthesized and validated: stacks, resources, cdk-nag packs and the Control Tower
 * rules (`controlTowerPlugin`, the plugin's name), findings, acknowledgements of each. Synthesis has
 * already failed on any unacknowledged finding, so the findings printed are 0.
 */
export function printValidationSummary(
  title: string, assembly: cxapi.CloudAssembly, stacks: Stack[], packNames: string[], controlTowerPlugin: string,
): void {
  const rows = stacks.map((stack) => {
    // Stacks of a stage sit in the stage's nested assembly (cached by the app's synth).
    const template = Stage.of(stack)!.synth().getStackArtifact(stack.artifactId).template;
    const ids = ownConstructs(stack).flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.keys(m.data ?? {}));
    const controlTower = ids.filter((id) => id.startsWith(`${controlTowerPlugin}::`)).length;
    // The construct path (what `cdk deploy` selects by): pipeline stages repeat the stack names.
    return { stack: stack.node.path, resources: Object.keys(template.Resources ?? {}).length, nag: ids.length - controlTower, controlTower };
  });
  const lines = [
    `${title} synthesized to ${assembly.directory}`,
    `cdk-nag packs: ${packNames.join(', ')}; AWS Control Tower proactive controls (${controlTowerPlugin})`,
    ...rows.map((r) => `  ${r.stack}: ${r.resources} resources, 0 unacknowledged nag findings (${r.nag} acknowledged), ` +
      `0 Control Tower failures (${r.controlTower} acknowledged)`),
    'Validation: PASSED (synthesis fails with the report on any unacknowledged finding)',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** The constructs of `scope` outside the stages nested in it (a pipeline stack holds its stages). */
function ownConstructs(scope: IConstruct): IConstruct[] {
  return [scope, ...scope.node.children.filter((c) => !Stage.isStage(c)).flatMap(ownConstructs)];
}
