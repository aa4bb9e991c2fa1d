import {
  Duration,
  aws_cloudwatch as cloudwatch,
  aws_codedeploy as codedeploy,
  aws_iam as iam,
  aws_lambda as lambda,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { IHandlerFunction } from '../compute/i-handler-function';
import { ManagedPolicyRole } from '../compute/managed-policy-role';
import { PropsValidator } from '../core/validation';
import { EnvironmentConfig, EnvironmentName } from '../governance/environment-config';

/** How a custom traffic shift moves traffic to the new version. */
export enum TrafficShiftKind {
  /** One step of `percentage`, then the rest after `intervalMinutes`. */
  CANARY = 'CANARY',
  /** Equal steps of `percentage` every `intervalMinutes`. */
  LINEAR = 'LINEAR',
}

/** A custom canary or linear traffic shift. */
export interface TrafficShift {
  /** Canary or linear. */
  readonly kind: TrafficShiftKind;
  /** Percentage of traffic shifted per step, an integer 1-99. */
  readonly percentage: number;
  /** Minutes between steps, an integer 1-2880. */
  readonly intervalMinutes: number;
}

/** Properties of a SafeDeployment. */
export interface SafeDeploymentProps {
  /** The function whose live alias CodeDeploy shifts (an EnhancedLambdaFunction with `liveAliasEnabled`, or `HandlerFunction.fromFunction` with an alias). */
  readonly handler: IHandlerFunction;
  /**
   * A predefined or custom CodeDeploy config (excludes `trafficShift`).
   * @default - per EnvironmentConfig: ALL_AT_ONCE in dev, LINEAR_10PERCENT_EVERY_1MINUTE in staging,
   * CANARY_10PERCENT_5MINUTES in prod
   */
  readonly deploymentConfig?: codedeploy.ILambdaDeploymentConfig;
  /**
   * A custom canary or linear shift, created as a CodeDeploy deployment config (excludes `deploymentConfig`).
   * @default - the EnvironmentConfig's predefined config
   */
  readonly trafficShift?: TrafficShift;
  /**
   * Metric alarms that stop and roll back a deployment (1-10, CodeDeploy's limit). Composite
   * alarms are not accepted: CodeDeploy could read them only with DescribeAlarms on "*".
   * @default - every alarm in the function's AlarmSet when the SafeDeployment is created
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /**
   * Function CodeDeploy invokes before traffic shifts (pass `hook.function` for an
   * EnhancedLambdaFunction); it must report back with PutLifecycleEventHookExecutionStatus,
   * which is granted to it.
   * @default - no pre-traffic hook
   */
  readonly preHook?: lambda.IFunction;
  /**
   * Function CodeDeploy invokes after all traffic has shifted.
   * @default - no post-traffic hook
   */
  readonly postHook?: lambda.IFunction;
  /**
   * CodeDeploy application to put the deployment group in.
   * @default - a new application
   */
  readonly application?: codedeploy.ILambdaApplication;
}

const PROFILE_CONFIGS: Record<EnvironmentName, codedeploy.ILambdaDeploymentConfig> = {
  [EnvironmentName.DEV]: codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
  [EnvironmentName.STAGING]: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  [EnvironmentName.PROD]: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
};

/** CodeDeploy accepts at most 10 alarms per deployment group. */
const MAX_ALARMS = 10;

/**
 * Gradual, alarm-guarded deployments of an IHandlerFunction: a CodeDeploy deployment
 * group on its live alias shifts traffic to each new version (canary in prod, linear in staging,
 * all at once in dev, or a config you choose) and rolls back automatically when the deployment
 * fails, is stopped, or any of the function's alarms fires. Optional pre/post traffic hooks.
 * The service role holds explicit, resource-scoped permissions in a customer-managed policy
 * instead of the AWS managed AWSCodeDeployRoleForLambdaLimited.
 *
 * A deployment starts whenever the function's current version changes (code or configuration),
 * because the live alias points at `currentVersion` and CloudFormation hands its update to CodeDeploy.
 */
export class SafeDeployment extends Construct {
  /** The CodeDeploy deployment group. */
  public readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;
  /** The CodeDeploy application. */
  public readonly application: codedeploy.ILambdaApplication;
  /** The deployment config in use. */
  public readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  /** CodeDeploy's service role. */
  public readonly role: iam.Role;
  /** Customer-managed policy holding every permission of the role. */
  public readonly policy: iam.ManagedPolicy;
  private readonly alarmList: cloudwatch.IAlarm[] = [];
  private readonly describeAlarms: iam.PolicyStatement;

  constructor(scope: Construct, id: string, props: SafeDeploymentProps) {
    super(scope, id);
    // Required arguments, checked at run time for JavaScript callers (no TypeError further in).
    const args = new PropsValidator('SafeDeployment', this);
    args.required('props', props, 'object', 'SafeDeploymentProps (an object)');
    args.required('handler', props.handler, 'object', 'an IHandlerFunction (EnhancedLambdaFunction or HandlerFunction.fromFunction)');
    const fn = props.handler;
    const liveAlias = fn.liveAlias;
    if (liveAlias === undefined) {
      throw new Error(`SafeDeployment "${id}" (${this.node.path}): handler must have a live alias to shift traffic on `
        + `(EnhancedLambdaFunction liveAliasEnabled: true), got ${fn.node.path} without one`);
    }
    const alarms = props.alarms ?? props.handler.alarms.alarms;
    validate(this, props, alarms);

    const role = new ManagedPolicyRole(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
      description: `CodeDeploy service role of ${this.node.path}`,
    });
    this.role = role;
    this.policy = role.policy;
    // What AWSCodeDeployRoleForLambdaLimited grants, scoped to this alias, its alarms and hooks
    // (S3 AppSpec and SNS trigger permissions are unused: CloudFormation passes the AppSpec inline).
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ShiftLiveAliasTraffic',
      actions: ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:GetProvisionedConcurrencyConfig'],
      resources: [liveAlias.version.lambda.functionArn, liveAlias.functionArn],
    }));
    this.describeAlarms = new iam.PolicyStatement({ sid: 'ReadRollbackAlarms', actions: ['cloudwatch:DescribeAlarms'] });
    role.addToPrincipalPolicy(this.describeAlarms);

    this.deploymentConfig = props.deploymentConfig
      ?? (props.trafficShift ? this.customConfig(props.trafficShift) : PROFILE_CONFIGS[EnvironmentConfig.of(this).environment]);

    this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, 'DeploymentGroup', {
      alias: liveAlias,
      application: props.application,
      deploymentConfig: this.deploymentConfig,
      // The group would attach the AWS managed policy to a mutable role; ours carries explicit grants.
      role: role.withoutPolicyUpdates(),
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    this.application = this.deploymentGroup.application;
    for (const alarm of alarms) this.addAlarm(alarm);
    if (props.preHook) this.addHook(props.preHook, true);
    if (props.postHook) this.addHook(props.postHook, false);
  }

  /** The alarms that roll a deployment back. */
  public get rollbackAlarms(): cloudwatch.IAlarm[] {
    return [...this.alarmList];
  }

  /** Adds a metric alarm that rolls a deployment back (at most 10 in all). */
  public addAlarm(alarm: cloudwatch.IAlarm): void {
    const v = new PropsValidator('SafeDeployment', this);
    v.check(this.alarmList.length < MAX_ALARMS, 'alarms', `${this.alarmList.length + 1} alarms`,
      `at most ${MAX_ALARMS} (CodeDeploy's limit): pass the function's own alarms through the alarms prop`);
    v.check(!(alarm instanceof cloudwatch.CompositeAlarm), 'alarms', alarm.node.path, 'metric alarms (not composite alarms)');
    this.alarmList.push(alarm);
    this.describeAlarms.addResources(alarm.alarmArn);
    this.deploymentGroup.addAlarm(alarm);
  }

  private addHook(hook: lambda.IFunction, before: boolean): void {
    if (before) this.deploymentGroup.addPreHook(hook); else this.deploymentGroup.addPostHook(hook);
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: before ? 'InvokePreTrafficHook' : 'InvokePostTrafficHook',
      actions: ['lambda:InvokeFunction'],
      resources: [hook.functionArn],
    }));
  }

  private customConfig(shift: TrafficShift): codedeploy.LambdaDeploymentConfig {
    const step = { interval: Duration.minutes(shift.intervalMinutes), percentage: shift.percentage };
    return new codedeploy.LambdaDeploymentConfig(this, 'DeploymentConfig', {
      trafficRouting: shift.kind === TrafficShiftKind.CANARY
        ? codedeploy.TrafficRouting.timeBasedCanary(step)
        : codedeploy.TrafficRouting.timeBasedLinear(step),
    });
  }
}

function validate(construct: IConstruct, props: SafeDeploymentProps, alarms: cloudwatch.IAlarm[]): void {
  const v = new PropsValidator('SafeDeployment', construct);
  v.check(!(props.deploymentConfig && props.trafficShift), 'deploymentConfig/trafficShift', 'both',
    'at most one of deploymentConfig and trafficShift');
  if (props.trafficShift) {
    v.check(Object.values(TrafficShiftKind).includes(props.trafficShift.kind), 'trafficShift.kind', props.trafficShift.kind, 'CANARY or LINEAR');
    v.range('trafficShift.percentage', props.trafficShift.percentage, 1, 99);
    v.range('trafficShift.intervalMinutes', props.trafficShift.intervalMinutes, 1, 2880);
  }
  v.check(alarms.length >= 1 && alarms.length <= MAX_ALARMS, 'alarms', `${alarms.length} alarms`,
    `1-${MAX_ALARMS} alarms (CodeDeploy's limit): with a shared AlarmSet, pass the function's own alarms through the alarms prop`);
}
