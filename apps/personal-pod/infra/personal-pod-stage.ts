import { Environment, Stack, Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PersonalPodApiStack } from './api-stack';
import { PersonalPodDataStack } from './data-stack';
import { PersonalPodMonitoringStack } from './monitoring-stack';
import { PersonalPodNetworkStack } from './network-stack';
import { PersonalPodSecurityStack } from './security-stack';
import { EnvironmentConfig, RequiredTags } from '../../../src';

/** Properties of a PersonalPod stage. */
export interface PersonalPodProps extends StageProps {
  /** The environment profile (dev, staging, prod). */
  readonly profile: EnvironmentConfig;
  /** Account and region of every stack of the stage. */
  readonly env: Environment;
}

/**
 * PersonalPod in one environment, split by lifecycle: network, security, data (users, database,
 * search, backups), API (REST, WebSocket, indexing queue, functions) and monitoring.
 */
export class PersonalPod extends Stage {
  public readonly profile: EnvironmentConfig;
  public readonly network: PersonalPodNetworkStack;
  public readonly security: PersonalPodSecurityStack;
  public readonly data: PersonalPodDataStack;
  public readonly api: PersonalPodApiStack;
  public readonly monitoring: PersonalPodMonitoringStack;

  constructor(scope: Construct, id: string, props: PersonalPodProps) {
    super(scope, id, props);
    this.profile = props.profile;
    this.profile.applyTo(this);
    RequiredTags.applyTo(this, { environment: this.profile.environment, project: 'personal-pod', owner: 'personal-pod-maintainers', costCenter: 'PP-0001' });
    const env = props.env;

    this.network = new PersonalPodNetworkStack(this, 'Network', { env });
    this.security = new PersonalPodSecurityStack(this, 'Security', { env });
    const alarmTopic = this.security.alarms.topic;
    const vpc = this.network.network.vpc;
    this.data = new PersonalPodDataStack(this, 'Data', { env, vpc, alarmTopic });
    this.api = new PersonalPodApiStack(this, 'Api', {
      env,
      vpc,
      alarmTopic,
      webAclArn: this.security.firewall.webAclArn,
      users: this.data.users,
      database: this.data.database,
      search: this.data.search,
      files: this.data.files,
      clients: this.data.clients,
    });
    this.monitoring = new PersonalPodMonitoringStack(this, 'Monitoring', {
      env,
      alarmSets: [this.security.alarms, this.data.alarms, this.api.alarms],
    });
  }

  /** Every stack of the stage. */
  public get stacks(): Stack[] {
    return [this.network, this.security, this.data, this.api, this.monitoring];
  }
}
