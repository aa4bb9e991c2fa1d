import { Duration, aws_iam as iam } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { ApiHandlerName } from './routes';
import { SecureBucket, SecureTable } from '../../../src';

/** The session tag that carries the tenant (handlers/lib/tenant-credentials.ts sets it). */
export const TENANT_TAG = 'tenantId';
/** The policy variable the role's permissions are written in. */
const TENANT = `\${aws:PrincipalTag/${TENANT_TAG}}`;

/**
 * API functions whose tenant-data calls run with the tenant's session. Not health (no data),
 * share-open (public: the tenant is only known after the token lookup on the ShareLinks index,
 * whose keys are not a tenant's) and user-sync (a Cognito trigger, not a request).
 */
export const TENANT_SCOPED_HANDLERS: readonly ApiHandlerName[] = ['folders', 'files', 'shares', 'analytics', 'notifications', 'backup'];

/**
 * Tenant ids are `[A-Za-z0-9_-]{1,64}` (handlers/lib/auth.ts). STS tag values may also hold
 * `/ . : = + @` and spaces: a `/` would reach into another tenant's S3 prefix
 * (`tenants/a/files` is a prefix of tenant `a`'s objects), so the trust policy refuses every one of
 * them, empty values and values longer than 64 characters.
 */
const MALFORMED_TENANT = ['*/*', '*.*', '*:*', '*=*', '*+*', '*@*', '* *', `${'?'.repeat(65)}*`];

/**
 * A role whose statements go to one customer-managed policy, as the library's function roles do:
 * inline policies fail the NIST/HIPAA/PCI packs' IAMNoInlinePolicy (the library's own class is internal).
 */
class ManagedPolicyRole extends iam.Role {
  public readonly policy: iam.ManagedPolicy;
  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
    this.policy = new iam.ManagedPolicy(this, 'Policy', { description: `Permissions of ${this.node.path}`, roles: [this] });
  }
  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}

/** Properties of the tenant access role. */
export interface TenantAccessProps {
  /** The CloudVault table (items of tenant `t` are in partitions `TENANT#t` and `TENANT#t#...`). */
  readonly table: SecureTable;
  /** The files bucket (objects of tenant `t` under `tenants/t/` and `thumbnails/t/`; exports under `backups/t/` are the export worker's). */
  readonly files: SecureBucket;
  /** The API function roles that may assume the role (one session per tenant). */
  readonly assumedBy: readonly iam.IRole[];
}

/**
 * The SaaS pattern's tenant-scoped credentials: a role that API functions assume per tenant with
 * the session tag `tenantId`; its permissions are written in `${aws:PrincipalTag/tenantId}`, so a
 * session reaches only its own tenant's partition keys (`dynamodb:LeadingKeys`) and object
 * prefixes, whatever the handler code asks for. Session tags rather than an inline session
 * policy: one role policy to review, and the offline evaluator (test/iam-simulation.test.ts)
 * can prove it (it cannot evaluate session policies).
 */
export class TenantAccess extends Construct {
  public readonly role: iam.Role;
  /** The role's permissions (one customer-managed policy). */
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: TenantAccessProps) {
    super(scope, id);
    const trust = {
      'StringLike': { [`aws:RequestTag/${TENANT_TAG}`]: '?*' },
      'StringNotLike': { [`aws:RequestTag/${TENANT_TAG}`]: MALFORMED_TENANT },
      // The tenant tag and nothing else (no other tag can widen or rename the session).
      'ForAllValues:StringEquals': { 'aws:TagKeys': [TENANT_TAG] },
    };
    if (props.assumedBy.length === 0) throw new Error('TenantAccess: assumedBy is empty');
    const principals = props.assumedBy.map((r) => new iam.ArnPrincipal(r.roleArn));
    const role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.SessionTagsPrincipal(new iam.CompositePrincipal(...principals).withConditions(trust)),
      description: 'CloudVault tenant session: the API functions assume it per tenant (session tag tenantId)',
      // Sessions are asked for 15 minutes (the minimum); the role allows no more than an hour.
      maxSessionDuration: Duration.hours(1),
    });

    this.role = role;
    this.policy = role.policy;
    const table = props.table.table.tableArn;
    // Every key of the table (and of the tenant's GSI partitions) the session names must be the
    // tenant's partition or start with it and `#` (so tenant `a` never matches `ab`'s keys).
    const leadingKeys = {
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`TENANT#${TENANT}`, `TENANT#${TENANT}#*`] },
      // ForAllValues is true for a request without keys: require them.
      'Null': { 'dynamodb:LeadingKeys': 'false' },
    };
    this.role.addToPolicy(new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
      resources: [table],
      conditions: leadingKeys,
    }));
    // Only the per-tenant indexes (FolderChildren `TENANT#t#PARENT#...`, FileSearch `TENANT#t#FILES`);
    // UserByEmail and ShareLinks are keyed by e-mail and token, not by tenant.
    this.role.addToPolicy(new iam.PolicyStatement({
      actions: ['dynamodb:Query'],
      resources: [`${table}/index/FolderChildren`, `${table}/index/FileSearch`],
      conditions: leadingKeys,
    }));
    props.table.encryptionKey.grant(this.role, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey');

    // The union of what the tenant-scoped handlers do on objects (infra/handler-permissions.ts).
    const objects = `tenants/${TENANT}/*`;
    props.files.grantGet(this.role, objects);
    props.files.grantPut(this.role, objects);
    props.files.grantDelete(this.role, objects);
    props.files.grantAbortMultipartUpload(this.role, objects);
    props.files.grantListMultipartUploadParts(this.role, objects);
    props.files.grantGet(this.role, `thumbnails/${TENANT}/*`);
    props.files.grantDelete(this.role, `thumbnails/${TENANT}/*`);
  }

  /** Lets `fn` start (and tag) tenant sessions of this role; the trust policy must name it too. */
  public grantAssume(fn: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['sts:AssumeRole', 'sts:TagSession'], resourceArns: [this.role.roleArn] });
  }
}
