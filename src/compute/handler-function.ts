import { Duration, aws_iam as iam, aws_kms as kms, aws_lambda as lambda } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { IHandlerFunction } from './i-handler-function';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';

/** How an existing function joins the library's integrations. */
export interface HandlerFunctionOptions {
  /**
   * The function's timeout (a `lambda.Function`'s own timeout is read when not given).
   * @default - the function's timeout, or Lambda's default of 3 seconds for an imported function
   */
  readonly timeout?: Duration;
  /**
   * Key for the dead-letter queues and topics that invoking constructs create.
   * @default - the stack's default key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * AlarmSet where invoking constructs put their alarms.
   * @default - a new AlarmSet on the stack's shared alarm topic
   */
  readonly alarms?: AlarmSet;
  /**
   * Alias to invoke and to shift traffic on.
   * @default - the function itself is invoked
   */
  readonly alias?: lambda.Alias;
}

/**
 * Adapts a function you already have (a `lambda.Function`, an imported `lambda.IFunction`) to
 * `IHandlerFunction`, so routes, queues, rules, schedules and deployments can invoke it.
 */
export class HandlerFunction extends Construct implements IHandlerFunction {
  /** An `IHandlerFunction` for `fn`. */
  public static fromFunction(scope: Construct, id: string, fn: lambda.IFunction, options: HandlerFunctionOptions = {}): IHandlerFunction {
    return new HandlerFunction(scope, id, fn, options);
  }

  /** The alias when given, else the function. */
  public readonly invocationTarget: lambda.IFunction;
  /** The function's timeout. */
  public readonly timeout: Duration;
  /** Key for what invoking constructs create. */
  public readonly encryptionKey: kms.IKey;
  /** AlarmSet for invoking constructs' alarms. */
  public readonly alarms: AlarmSet;
  /** The alias, when given. */
  public readonly liveAlias?: lambda.Alias;
  /** The function's principal. */
  public readonly grantPrincipal: iam.IPrincipal;

  private constructor(scope: Construct, id: string, fn: lambda.IFunction, options: HandlerFunctionOptions) {
    super(scope, id);
    const args = new PropsValidator('HandlerFunction', this);
    args.required('fn', fn, 'object', 'a lambda.IFunction');
    args.durationRange('timeout', options.timeout, 1, 900);
    this.liveAlias = options.alias;
    this.invocationTarget = options.alias ?? fn;
    this.timeout = options.timeout ?? (fn instanceof lambda.Function ? fn.timeout : undefined) ?? Duration.seconds(3);
    this.encryptionKey = options.encryptionKey ?? defaultKey(this);
    this.alarms = alarmSetFor(this, options.alarms);
    this.grantPrincipal = fn.grantPrincipal;
  }
}
