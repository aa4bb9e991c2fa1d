import { Environment, Stack, Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CommandCenterApiStack } from './api-stack';
import { CommandCenterDataStack } from './data-stack';
import { CommandCenterMonitoringStack } from './monitoring-stack';
import { CommandCenterNetworkStack } from './network-stack';
import { CommandCenterSecurityStack } from './security-stack';
import { EnvironmentConfig, RequiredTags } from '../../../src';

/** Properties of a command center stage. */
export interface CommandCenterProps extends StageProps {
  /** The environment profile (dev, staging, prod). */
  readonly profile: EnvironmentConfig;
  /** Account and region of every stack of the stage. */
  readonly env: Environment;
}

/**
 * The command center in one environment, split by lifecycle: network, security, data (users,
 * database, cache), API (REST, WebSocket, functions) and monitoring.
 */
export class CommandCenter extends Stage {
  public readonly profile: EnvironmentConfig;
  public readonly network: CommandCenterNetworkStack;
  public readonly security: CommandCenterSecurityStack;
  public readonly data: CommandCenterDataStack;
  public readonly api: CommandCenterApiStack;
  public readonly monitoring: CommandCenterMonitoringStack;

  constructor(scope: Construct, id: string, props: CommandCenterProps) {
    super(scope, id, props);
    this.profile = props.profile;
    this.profile.applyTo(this);
    RequiredTags.applyTo(this, { environment: this.profile.environment, project: 'command-center', owner: 'command-center-maintainers', costCenter: 'CC-0001' });
    const env = props.env;

    this.network = new CommandCenterNetworkStack(this, 'Network', { env });
    this.security = new CommandCenterSecurityStack(this, 'Security', { env });
    const alarmTopic = this.security.alarms.topic;
    const vpc = this.network.network.vpc;
    this.data = new CommandCenterDataStack(this, 'Data', { env, vpc, alarmTopic });
    this.api = new CommandCenterApiStack(this, 'Api', {
      env,
      vpc,
      alarmTopic,
      webAclArn: this.security.firewall.webAclArn,
      users: this.data.users,
      database: this.data.database,
      cache: this.data.cache,
      clients: this.data.clients,
    });
    this.monitoring = new CommandCenterMonitoringStack(this, 'Monitoring', {
      env,
      alarmSets: [this.security.alarms, this.data.alarms, this.api.alarms],
    });
  }

  /** Every stack of the stage. */
  public get stacks(): Stack[] {
    return [this.network, this.security, this.data, this.api, this.monitoring];
  }
}
