import { Duration, aws_iam as iam, aws_kms as kms, aws_lambda as lambda } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { AlarmSet } from '../monitoring/alarm-set';

/**
 * A Lambda function that other constructs invoke (`ApiRoute`, `WorkQueue`, `BucketEventRule`,
 * `ScheduledJob`, `SafeDeployment`), reduced to what they need to wire it. Every such construct
 * calls it `handler`. `EnhancedLambdaFunction` implements it; `HandlerFunction.fromFunction`
 * adapts any `lambda.IFunction`.
 */
export interface IHandlerFunction extends IConstruct, iam.IGrantable {
  /** What integrations invoke: the live alias when there is one, else the function. */
  readonly invocationTarget: lambda.IFunction;
  /** The function's timeout; queues derive their visibility timeout from it. */
  readonly timeout: Duration;
  /** Key for what an invoking construct creates for the function (dead-letter queues, topics) unless given one. */
  readonly encryptionKey: kms.IKey;
  /** AlarmSet where an invoking construct puts its alarms unless given one. */
  readonly alarms: AlarmSet;
  /** Alias that CodeDeploy shifts (`SafeDeployment` needs it); undefined when the function has none. */
  readonly liveAlias?: lambda.Alias;
}
