import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The one place the app acknowledges (suppresses) cdk-nag rules, as the library does in its
 * core/acknowledge.ts: the app uses the library only through its entry point, which does not
 * export that helper. Every call names the rule ids, the construct and a reviewable reason.
 */
export function acknowledge(resource: IConstruct, ruleIds: string[], reason: string): void {
  if (reason.trim().length < 20) {
    throw new Error(`acknowledge ${ruleIds.join(', ')} on ${resource.node.path}: the reason must explain why`);
  }
  for (const id of ruleIds) {
    Validations.of(resource).acknowledge({ id, reason });
  }
}
