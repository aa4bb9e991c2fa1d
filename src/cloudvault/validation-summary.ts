import { Stack, Validations, cx_api as cxapi } from 'aws-cdk-lib';

/** Prints what was synthesized and validated: stacks, resources, packs, findings, acknowledgements. */
export function printValidationSummary(assembly: cxapi.CloudAssembly, stacks: Stack[], packNames: string[]): void {
  const rows = stacks.map((stack) => {
    const template = assembly.getStackByName(stack.stackName).template;
    const acknowledged = stack.node.findAll().flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .reduce((n, m) => n + Object.keys(m.data ?? {}).length, 0);
    return { stack: stack.stackName, resources: Object.keys(template.Resources ?? {}).length, acknowledged };
  });
  const lines = [
    `CloudVault synthesized to ${assembly.directory}`,
    `cdk-nag packs: ${packNames.join(', ')}`,
    ...rows.map((r) => `  ${r.stack}: ${r.resources} resources, 0 unacknowledged findings, ${r.acknowledged} acknowledged rule ids`),
    'Validation: PASSED (synthesis fails with the report on any unacknowledged finding)',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
