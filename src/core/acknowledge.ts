import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The validation-plugin name under which the AWS Control Tower (cfn-guard) rules report. */
const CONTROL_TOWER_PLUGIN = 'cdk-validator-cfnguard';

/**
 * The one place the library acknowledges (suppresses) cdk-nag and AWS Control Tower rules. Every
 * call names the rule ids, the construct they apply to, and a reason a reviewer would accept.
 * Acknowledge only after trying to satisfy the rule.
 *
 * Control Tower ids (`controlTowerRule(...)`) are also written as cfn-guard suppression metadata
 * (`Metadata.guard.SuppressedRules`) on the resource, so organizations that gate templates with
 * plain cfn-guard see the same reasoned exception instead of a failure.
 */
export function acknowledge(resource: IConstruct, ruleIds: string[], reason: string): void {
  if (reason.trim().length < 20) {
    throw new Error(`acknowledge ${ruleIds.join(', ')} on ${resource.node.path}: the reason must explain why`);
  }
  for (const id of ruleIds) {
    Validations.of(resource).acknowledge({ id, reason });
  }
  const guardRules = ruleIds.filter((id) => id.startsWith(`${CONTROL_TOWER_PLUGIN}::`)).map((id) => id.slice(CONTROL_TOWER_PLUGIN.length + 2));
  const cfn = CfnResource.isCfnResource(resource) ? resource : resource.node.defaultChild;
  if (guardRules.length > 0 && cfn && CfnResource.isCfnResource(cfn)) {
    const existing: string[] = cfn.getMetadata('guard')?.SuppressedRules ?? [];
    cfn.addMetadata('guard', { SuppressedRules: [...new Set([...existing, ...guardRules])] });
  }
}

/** The acknowledgement id of an AWS Control Tower proactive-control rule, e.g. `sqs_dlq_check`. */
export function controlTowerRule(ruleName: string): string {
  return `${CONTROL_TOWER_PLUGIN}::${ruleName}`;
}

/** The HIPAA, NIST 800-53 R5 and PCI DSS 3.2.1 ids of a rule that the three packs share. */
export function complianceRuleIds(rule: string): string[] {
  return [`HIPAA.Security-${rule}`, `NIST.800.53.R5-${rule}`, `PCI.DSS.321-${rule}`];
}

/**
 * Acknowledges rules on a stack-level singleton that aws-cdk-lib creates for a construct (a
 * custom-resource provider such as `Custom::S3AutoDeleteObjectsCustomResourceProvider`), found by
 * the start of its id. Does nothing when the stack has no such child.
 */
export function acknowledgeStackSingleton(scope: IConstruct, idPrefix: string, ruleIds: string[], reason: string): void {
  const singleton = Stack.of(scope).node.children.find((c) => c.node.id.startsWith(idPrefix));
  if (singleton) acknowledge(singleton, ruleIds, reason);
}
