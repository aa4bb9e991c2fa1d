import { Environment, Stack, Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PersonalOsApiStack, PersonalOsDomainOptions } from './api-stack';
import { PersonalOsDataStack } from './data-stack';
import { PersonalOsMonitoringStack } from './monitoring-stack';
import { PersonalOsRecoveryStack } from './recovery-stack';
import { PersonalOsSecurityStack } from './security-stack';
import { EnvironmentConfig, RequiredTags } from '../../../src';

/** Properties of a Personal OS stage. */
export interface PersonalOsProps extends StageProps {
  /** The environment profile (dev, staging, prod). */
  readonly profile: EnvironmentConfig;
  /** Account and region of every stack. */
  readonly env: Environment;
  /**
   * Custom domain of the API.
   * @default - none (the execute-api URL)
   */
  readonly domain?: PersonalOsDomainOptions;
}

/**
 * Personal OS in one environment, split by lifecycle: security (keys, alarm topic, firewall),
 * data (table, users, secrets), API, recovery (backups) and monitoring (dashboard).
 */
export class PersonalOs extends Stage {
  public readonly profile: EnvironmentConfig;
  public readonly security: PersonalOsSecurityStack;
  public readonly data: PersonalOsDataStack;
  public readonly api: PersonalOsApiStack;
  public readonly recovery: PersonalOsRecoveryStack;
  public readonly monitoring: PersonalOsMonitoringStack;

  constructor(scope: Construct, id: string, props: PersonalOsProps) {
    super(scope, id, props);
    this.profile = props.profile;
    this.profile.applyTo(this);
    RequiredTags.applyTo(this, { environment: this.profile.environment, project: 'personal-os', owner: 'personal-os-maintainers', costCenter: 'POS-0001' });
    const env = props.env;

    this.security = new PersonalOsSecurityStack(this, 'Security', { env });
    const alarmTopic = this.security.alarms.topic;
    const keys = this.security.keys;
    this.data = new PersonalOsDataStack(this, 'Data', { env, keys, alarmTopic });
    this.api = new PersonalOsApiStack(this, 'Api', {
      env,
      alarmTopic,
      webAclArn: this.security.firewall.webAclArn,
      table: this.data.table,
      users: this.data.users,
      domain: props.domain,
    });
    this.recovery = new PersonalOsRecoveryStack(this, 'Recovery', { env, keys, alarmTopic, table: this.data.table });
    this.monitoring = new PersonalOsMonitoringStack(this, 'Monitoring', {
      env,
      alarmSets: [this.security.alarms, this.data.alarms, this.api.alarms, this.recovery.alarms],
    });
  }

  /** Every stack of the stage. */
  public get stacks(): Stack[] {
    return [this.security, this.data, this.api, this.recovery, this.monitoring];
  }
}
