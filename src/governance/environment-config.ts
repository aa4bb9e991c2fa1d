import { AspectPriority, Aspects, RemovalPolicy, aws_logs as logs } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { acknowledge, controlTowerRule } from '../core/acknowledge';
import { PropsValidator } from '../core/validation';

/** The deployment environments the library knows profiles for. */
export enum EnvironmentName {
  DEV = 'dev',
  STAGING = 'staging',
  PROD = 'prod',
}

/** Log levels for Lambda application logs and Powertools. */
export enum LogLevel {
  DEBUG = 'DEBUG',
  INFO = 'INFO',
  WARN = 'WARN',
  ERROR = 'ERROR',
}

/** Overrides of a profile's defaults. Every member is optional. */
export interface EnvironmentConfigOverrides {
  /**
   * What happens to data stores, keys and log groups when they leave the stack.
   * @default RETAIN in staging and prod, DESTROY in dev
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the log groups the constructs create.
   * @default one month in dev, three months in staging, one year in prod
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Whether alarms notify their topic (alarms always exist; dev keeps them quiet).
   * @default false in dev, true otherwise
   */
  readonly alarmActionsEnabled?: boolean;
  /**
   * Application log level for Lambda functions.
   * @default DEBUG in dev, INFO otherwise
   */
  readonly logLevel?: LogLevel;
  /**
   * Deletion protection on tables.
   * @default false in dev, true otherwise
   */
  readonly deletionProtection?: boolean;
  /**
   * NAT gateways per VPC (0 for isolated-only designs).
   * @default 1 in dev and staging, 3 (one per AZ) in prod
   */
  readonly natGateways?: number;
}

/** Properties of an EnvironmentConfig. */
export interface EnvironmentConfigProps extends EnvironmentConfigOverrides {
  /** The environment whose profile supplies the defaults. */
  readonly environment: EnvironmentName;
}

const PROFILES: Record<EnvironmentName, Required<EnvironmentConfigOverrides>> = {
  [EnvironmentName.DEV]: {
    removalPolicy: RemovalPolicy.DESTROY,
    logRetention: logs.RetentionDays.ONE_MONTH,
    alarmActionsEnabled: false,
    logLevel: LogLevel.DEBUG,
    deletionProtection: false,
    natGateways: 1,
  },
  [EnvironmentName.STAGING]: {
    removalPolicy: RemovalPolicy.RETAIN,
    logRetention: logs.RetentionDays.ONE_YEAR,
    alarmActionsEnabled: true,
    logLevel: LogLevel.INFO,
    deletionProtection: true,
    natGateways: 1,
  },
  [EnvironmentName.PROD]: {
    removalPolicy: RemovalPolicy.RETAIN,
    logRetention: logs.RetentionDays.ONE_YEAR,
    alarmActionsEnabled: true,
    logLevel: LogLevel.INFO,
    deletionProtection: true,
    natGateways: 3,
  },
};

/** Context key that selects a profile for a whole app: `cdk synth -c cloudvault:environment=dev`. */
export const ENVIRONMENT_CONTEXT_KEY = 'cloudvault:environment';

/** AWS Control Tower CT.CLOUDWATCH.PR.2: log groups keep their events at least this long. */
const CONTROL_TOWER_MIN_LOG_RETENTION_DAYS = 365;

const attached = new WeakMap<IConstruct, EnvironmentConfig>();

/**
 * Environment profiles (dev, staging, prod) that set removal policies, retention, alarm
 * actions, log levels and NAT count for every construct below the scope they are applied to.
 * Encryption, TLS, logging and tracing are never relaxed by a profile.
 *
 * Resolution order for a construct: the nearest scope an EnvironmentConfig was `applyTo`'d,
 * then the `cloudvault:environment` context value, then the prod profile (the secure default).
 */
export class EnvironmentConfig {
  /** The dev profile, with optional overrides. */
  public static dev(overrides: EnvironmentConfigOverrides = {}): EnvironmentConfig {
    return new EnvironmentConfig({ ...overrides, environment: EnvironmentName.DEV });
  }

  /** The staging profile, with optional overrides. */
  public static staging(overrides: EnvironmentConfigOverrides = {}): EnvironmentConfig {
    return new EnvironmentConfig({ ...overrides, environment: EnvironmentName.STAGING });
  }

  /** The prod profile, with optional overrides. */
  public static prod(overrides: EnvironmentConfigOverrides = {}): EnvironmentConfig {
    return new EnvironmentConfig({ ...overrides, environment: EnvironmentName.PROD });
  }

  /** The profile named `name` ("dev", "staging" or "prod"). */
  public static fromName(name: string, overrides: EnvironmentConfigOverrides = {}): EnvironmentConfig {
    const known = Object.values(EnvironmentName) as string[];
    new PropsValidator('EnvironmentConfig.fromName').check(known.includes(name), 'name', name, `one of ${known.join(', ')}`);
    return new EnvironmentConfig({ ...overrides, environment: name as EnvironmentName });
  }

  /** The configuration in force for `scope` (see the class description for the order). */
  public static of(scope: IConstruct): EnvironmentConfig {
    new PropsValidator('EnvironmentConfig.of').required('scope', scope, 'object', 'a construct');
    for (let node: IConstruct | undefined = scope; node; node = node.node.scope) {
      const config = attached.get(node);
      if (config) return config;
    }
    const fromContext = scope.node.tryGetContext(ENVIRONMENT_CONTEXT_KEY);
    return fromContext ? EnvironmentConfig.fromName(String(fromContext)) : EnvironmentConfig.prod();
  }

  public readonly environment: EnvironmentName;
  public readonly removalPolicy: RemovalPolicy;
  public readonly logRetention: logs.RetentionDays;
  public readonly alarmActionsEnabled: boolean;
  public readonly logLevel: LogLevel;
  public readonly deletionProtection: boolean;
  public readonly natGateways: number;

  constructor(props: EnvironmentConfigProps) {
    new PropsValidator('EnvironmentConfig').required('props', props, 'object', 'EnvironmentConfigProps (an object with environment)');
    const v = new PropsValidator('EnvironmentConfig', props.environment);
    v.check(PROFILES[props.environment] !== undefined, 'environment', props.environment, `one of ${Object.values(EnvironmentName).join(', ')}`);
    v.range('natGateways', props.natGateways, 0, 6);
    v.check(props.logRetention === undefined || props.logRetention !== logs.RetentionDays.INFINITE || props.environment === EnvironmentName.PROD,
      'logRetention', props.logRetention, 'finite outside prod (infinite retention is a prod-only choice)');
    if (props.environment === EnvironmentName.PROD) {
      v.check(props.removalPolicy === undefined || props.removalPolicy !== RemovalPolicy.DESTROY,
        'removalPolicy', props.removalPolicy, 'RETAIN or SNAPSHOT in prod (data stores are never destroyed with the stack)');
      v.check(props.deletionProtection !== false, 'deletionProtection', props.deletionProtection, 'true in prod');
    }
    const profile = PROFILES[props.environment];
    this.environment = props.environment;
    this.removalPolicy = props.removalPolicy ?? profile.removalPolicy;
    this.logRetention = props.logRetention ?? profile.logRetention;
    this.alarmActionsEnabled = props.alarmActionsEnabled ?? profile.alarmActionsEnabled;
    this.logLevel = props.logLevel ?? profile.logLevel;
    this.deletionProtection = props.deletionProtection ?? profile.deletionProtection;
    this.natGateways = props.natGateways ?? profile.natGateways;
  }

  /** True when the profile lets data stores be deleted with the stack. */
  public get removalPolicyDestroys(): boolean {
    return this.removalPolicy === RemovalPolicy.DESTROY;
  }

  /** True for the prod profile. */
  public get isProduction(): boolean {
    return this.environment === EnvironmentName.PROD;
  }

  /** Makes this configuration the one in force for `scope` and everything below it. */
  public applyTo(scope: IConstruct): void {
    attached.set(scope, this);
    if (this.logRetention < CONTROL_TOWER_MIN_LOG_RETENTION_DAYS) this.acknowledgeShortRetention(scope);
  }

  /**
   * A profile that keeps logs less than a year (dev) fails AWS Control Tower CT.CLOUDWATCH.PR.2 by
   * design: each log group that keeps exactly the profile's retention is acknowledged with that
   * reason, and only those (a shorter retention chosen on one construct still fails).
   */
  private acknowledgeShortRetention(scope: IConstruct): void {
    Aspects.of(scope).add({
      visit: (node) => {
        if (!(node instanceof logs.CfnLogGroup) || node.retentionInDays !== this.logRetention || EnvironmentConfig.of(node) !== this) return;
        acknowledge(node, [controlTowerRule('cloudwatch_log_group_retention_period_check')],
          `The ${this.environment} profile keeps logs ${this.logRetention} days (EnvironmentConfig.logRetention) to keep a ` +
          'non-production account cheap; staging and prod keep them at least a year. Listed in docs/compliance.md.');
      },
    }, { priority: AspectPriority.MUTATING });
  }
}
