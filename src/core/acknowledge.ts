import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The one place the library acknowledges (suppresses) cdk-nag rules. Every call names the
 * rule ids, the construct they apply to, and a reason a reviewer would accept. Acknowledge
 * only after trying to satisfy the rule.
 */
export function acknowledge(resource: IConstruct, ruleIds: string[], reason: string): void {
  if (reason.trim().length < 20) {
    throw new Error(`acknowledge ${ruleIds.join(', ')} on ${resource.node.path}: the reason must explain why`);
  }
  for (const id of ruleIds) {
    Validations.of(resource).acknowledge({ id, reason });
  }
}

/** The HIPAA, NIST 800-53 R5 and PCI DSS 3.2.1 ids of a rule that the three packs share. */
export function complianceRuleIds(rule: string): string[] {
  return [`HIPAA.Security-${rule}`, `NIST.800.53.R5-${rule}`, `PCI.DSS.321-${rule}`];
}
