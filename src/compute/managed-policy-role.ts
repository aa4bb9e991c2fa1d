import { aws_iam as iam } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * A role whose added permissions land in one customer-managed policy instead of an inline
 * default policy (HIPAA / NIST / PCI `IAMNoInlinePolicy`). L2 grants such as
 * `table.grantReadData(fn)` go through `addToPrincipalPolicy`, so they are routed too.
 */
export class ManagedPolicyRole extends iam.Role {
  /** The customer-managed policy that holds every statement added to the role. */
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Permissions of ${this.node.path}`,
      roles: [this],
    });
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}
