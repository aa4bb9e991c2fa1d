import { Environment, Stack, Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PatchTrackerApiStack } from './api-stack';
import { PatchTrackerDataStack } from './data-stack';
import { PatchTrackerFetchStack } from './fetch-stack';
import { PatchTrackerMonitoringStack } from './monitoring-stack';
import { PatchTrackerSecurityStack } from './security-stack';
import { EnhancedLambdaFunction, EnvironmentConfig, RequiredTags } from '../../../src';

export interface PatchTrackerProps extends StageProps {
  /** The environment profile (dev, staging, prod): schedules, retention, removal policies, MFA. */
  readonly profile: EnvironmentConfig;
  readonly env: Environment;
  /**
   * Patchwork projects to track.
   * @default ['netdevbpf', 'linux-arm-kernel']
   */
  readonly projects?: string[];
}

/**
 * The patch tracker in one environment, split by lifecycle: security (keys, alarm topic, WAF),
 * data (tables), fetch (scheduled fetchers), API (users, read API) and monitoring (dashboard).
 */
export class PatchTracker extends Stage {
  public readonly profile: EnvironmentConfig;
  public readonly security: PatchTrackerSecurityStack;
  public readonly data: PatchTrackerDataStack;
  public readonly fetch: PatchTrackerFetchStack;
  public readonly api: PatchTrackerApiStack;
  public readonly monitoring: PatchTrackerMonitoringStack;

  constructor(scope: Construct, id: string, props: PatchTrackerProps) {
    super(scope, id, props);
    this.profile = props.profile;
    this.profile.applyTo(this);
    RequiredTags.applyTo(this, { environment: this.profile.environment, project: 'patch-tracker', owner: 'patch-tracker-maintainers', costCenter: 'PT-0001' });
    const env = props.env;

    this.security = new PatchTrackerSecurityStack(this, 'Security', { env });
    const alarmTopic = this.security.alarms.topic;
    this.data = new PatchTrackerDataStack(this, 'Data', { env, keys: this.security.keys, alarmTopic });
    const tables = { patches: this.data.patches, discussions: this.data.discussions };
    this.fetch = new PatchTrackerFetchStack(this, 'Fetch', { env, alarmTopic, ...tables, projects: props.projects });
    this.api = new PatchTrackerApiStack(this, 'Api', { env, alarmTopic, webAclArn: this.security.firewall.webAclArn, ...tables });
    this.monitoring = new PatchTrackerMonitoringStack(this, 'Monitoring', {
      env,
      alarmSets: [this.security.alarms, this.data.alarms, this.fetch.alarms, this.api.alarms],
    });
  }

  /** Every Lambda function of the stage. */
  public get functions(): EnhancedLambdaFunction[] {
    return [...this.fetch.functions, ...Object.values(this.api.functions)];
  }

  /** Every stack of the stage. */
  public get stacks(): Stack[] {
    return [this.security, this.data, this.fetch, this.api, this.monitoring];
  }
}
