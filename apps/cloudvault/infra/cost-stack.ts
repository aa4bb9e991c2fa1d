import { Stack, StackProps, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CostGuard, RequiredTags } from '../../../src';

/** Properties of the CloudVault cost stack. */
export interface CloudVaultCostStackProps extends StackProps {
  /** Monthly budget of this environment, in USD. */
  readonly monthlyBudget: number;
  /** The stage's RequiredTags: the budgets count only cost carrying its Project and Environment. */
  readonly requiredTags: RequiredTags;
  /** E-mail notified by the budgets. */
  readonly alarmEmail?: string;
  /** The app's one alarm topic (security stack): budget notifications go there too. */
  readonly alarmTopic: sns.ITopic;
}

/** Budgets of one CloudVault environment. */
export class CloudVaultCostStack extends Stack {
  public readonly costGuard: CostGuard;

  constructor(scope: Construct, id: string, props: CloudVaultCostStackProps) {
    super(scope, id, props);
    this.costGuard = new CostGuard(this, 'CostGuard', {
      monthlyLimit: props.monthlyBudget,
      requiredTags: props.requiredTags,
      emails: props.alarmEmail ? [props.alarmEmail] : undefined,
      topic: props.alarmTopic,
    });
  }
}
