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
 * plain cfn-guard see the same reasoned exception instead of a failure; so are the AWS Guard Rules
 * Registry names of acknowledged HIPAA / NIST / PCI / Serverless rules (`GUARD_REGISTRY_RULES`).
 */
export function acknowledge(resource: IConstruct, ruleIds: string[], reason: string): void {
  if (reason.trim().length < 20) {
    throw new Error(`acknowledge ${ruleIds.join(', ')} on ${resource.node.path}: the reason must explain why`);
  }
  for (const id of ruleIds) {
    Validations.of(resource).acknowledge({ id, reason });
  }
  const guardRules = ruleIds.map(guardRuleName).filter((name): name is string => name !== undefined);
  const cfn = CfnResource.isCfnResource(resource) ? resource : resource.node.defaultChild;
  if (guardRules.length > 0 && cfn && CfnResource.isCfnResource(cfn)) {
    const existing: string[] = cfn.getMetadata('guard')?.SuppressedRules ?? [];
    cfn.addMetadata('guard', { SuppressedRules: [...new Set([...existing, ...guardRules])] });
  }
}

/**
 * cdk-nag's HIPAA, NIST 800-53 R5, PCI DSS 3.2.1 and Serverless rules that the library acknowledges,
 * by rule name, with the AWS Config managed rule each checks: the AWS Guard Rules Registry names its
 * guard rule after it (as AWS Solutions Constructs' suppressions do). test/core/acknowledge.test.ts
 * fails when a rule acknowledged in src/ is missing here.
 */
export const GUARD_REGISTRY_RULES: Readonly<Record<string, string>> = {
  APIGWAssociatedWithWAF: 'API_GW_ASSOCIATED_WITH_WAF',
  APIGWCacheEnabledAndEncrypted: 'API_GW_CACHE_ENABLED_AND_ENCRYPTED',
  CloudWatchAlarmAction: 'CLOUDWATCH_ALARM_ACTION_CHECK',
  CodeBuildProjectSourceRepoUrl: 'CODEBUILD_PROJECT_SOURCE_REPO_URL_CHECK',
  IAMNoInlinePolicy: 'IAM_NO_INLINE_POLICY_CHECK',
  LambdaConcurrency: 'LAMBDA_CONCURRENCY_CHECK',
  LambdaDLQ: 'LAMBDA_DLQ_CHECK',
  LambdaInsideVPC: 'LAMBDA_INSIDE_VPC',
  RDSInBackupPlan: 'RDS_IN_BACKUP_PLAN',
  RDSInstanceDeletionProtectionEnabled: 'RDS_INSTANCE_DELETION_PROTECTION_ENABLED',
  S3BucketReplicationEnabled: 'S3_BUCKET_REPLICATION_ENABLED',
  S3DefaultEncryptionKMS: 'S3_DEFAULT_ENCRYPTION_KMS',
  VPCNoUnrestrictedRouteToIGW: 'NO_UNRESTRICTED_ROUTE_TO_IGW',
};
const REGISTRY_PACKS = /^(?:HIPAA\.Security|NIST\.800\.53\.R5|PCI\.DSS\.321|Serverless)-([A-Za-z0-9]+)$/;

/** The cfn-guard rule name an acknowledgement id stands for, if any. */
function guardRuleName(id: string): string | undefined {
  if (id.startsWith(`${CONTROL_TOWER_PLUGIN}::`)) return id.slice(CONTROL_TOWER_PLUGIN.length + 2);
  const rule = REGISTRY_PACKS.exec(id)?.[1];
  return rule === undefined ? undefined : GUARD_REGISTRY_RULES[rule];
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
