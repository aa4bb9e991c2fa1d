import { CfnElement, Stack } from 'aws-cdk-lib';
import { EnhancedLambdaFunction } from '../../../../src';
import { CloudVault } from '../../infra/cloudvault-stage';

/** Every function of a CloudVault stage by the name its handler permissions use (handler-permissions.ts). */
export function functionsByName(stage: CloudVault): Record<string, EnhancedLambdaFunction> {
  return {
    ...stage.api.functions,
    'user-sync': stage.api.userSync,
    'file-processor': stage.events.fileProcessor,
    'notification-worker': stage.events.notificationWorker,
    'analytics-aggregator': stage.events.analyticsAggregator,
    'cleanup': stage.events.cleanup,
    'backup-export': stage.events.backupExporter,
    'scheduled-backup': stage.recovery.scheduledBackup,
  };
}

/** The statements of a function's role policy, as synthesized (intrinsics unresolved). */
export function roleStatements(template: any, fn: EnhancedLambdaFunction): any[] {
  const stack = Stack.of(fn);
  const id = stack.getLogicalId(fn.policy.node.defaultChild as CfnElement);
  const policy = template.Resources[id];
  if (!policy) throw new Error(`no policy ${id} in ${stack.stackName}`);
  return policy.Properties.PolicyDocument.Statement;
}

/**
 * A readable name for a statement's resource: the table, one of its indexes, the files bucket or a
 * key prefix of it, one of the app's keys, queues or log groups; the intrinsics are what tell them apart.
 */
export function resourceName(resource: unknown): string {
  if (resource === '*') return '*';
  const text = JSON.stringify(resource);
  const index = /\/index\/([A-Za-z]+)/.exec(text);
  if (index) return `table/index/${index[1]}`;
  // A key prefix, possibly per tenant session (`tenants/${aws:PrincipalTag/tenantId}/*`).
  const prefix = '([a-z]+\\/(?:\\$\\{aws:PrincipalTag\\/tenantId\\}\\/)?\\*)';
  const objects = new RegExp(`(?:Files-BucketArn|FilesBucket[A-Za-z0-9]*)"\\}?,?"?\\/${prefix}`).exec(text) ?? new RegExp(`"\\/${prefix}"`).exec(text);
  if (objects) return `files/${objects[1]}`;
  const known: [RegExp, string][] = [
    [/Table[0-9A-F]{8}Arn|"Table[0-9A-F]{8}"/, 'table'],
    [/FilesBucket[0-9A-F]{8}Arn/, 'files'],
    [/KeysData/, 'key/data'],
    [/KeysStorage/, 'key/storage'],
    [/CloudVaultDefaultKey/, 'key/default'],
    [/NotificationsQueue/, 'queue/notifications'],
    [/BackupExportsQueue/, 'queue/backup-exports'],
    [/DeadLetterQueue/, 'queue/dead-letter'],
    [/LogGroup/, 'logs/own'],
    [/BackupVault/, 'backup-vault'],
    [/TenantAccessRole/, 'role/tenant-access'],
    [/BackupRole/, 'role/backup'],
    [/:ses:.*identity\//, 'ses/identity'],
    [/:ses:.*template\//, 'ses/template'],
  ];
  for (const [pattern, name] of known) if (pattern.test(text)) return name;
  return text;
}

/** `action on resource` for every allowed action of a function's role, sorted and unique. */
export function grantedActions(template: any, fn: EnhancedLambdaFunction): string[] {
  return allowedActions(roleStatements(template, fn));
}

/** `action on resource` for every allowed action of these statements, sorted and unique. */
export function allowedActions(statements: any[]): string[] {
  const pairs = new Set<string>();
  for (const st of statements) {
    if (st.Effect !== 'Allow') continue;
    for (const action of [st.Action].flat()) {
      for (const resource of [st.Resource].flat()) pairs.add(`${action} on ${resourceName(resource)}`);
    }
  }
  return [...pairs].sort();
}
