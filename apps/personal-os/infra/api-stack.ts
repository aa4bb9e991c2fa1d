import * as path from 'path';
import { Duration, Stack, StackProps, aws_route53 as route53, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PERSONAL_OS_METRICS_NAMESPACE } from './monitoring-stack';
import { PersonalOsHandler, ROUTES } from './routes';
import { AlarmSet, CustomDomain, EnhancedLambdaFunction, EnvironmentConfig, SecureRestApi, SecureTable, UserDirectory } from '../../../src';
import { bundledHandlerCode } from '../../kit/infra/handler-code';

/** The API's own host name, e.g. `api.example.com`, in a Route 53 zone of the account. */
export interface PersonalOsDomainOptions {
  readonly domainName: string;
  readonly hostedZoneId: string;
  readonly zoneName: string;
}

/** Properties of the Personal OS API stack. */
export interface PersonalOsApiStackProps extends StackProps {
  readonly alarmTopic: sns.ITopic;
  /** ARN of the regional WAF web ACL in front of the API. */
  readonly webAclArn: string;
  readonly table: SecureTable;
  readonly users: UserDirectory;
  /** Custom domain; without it the API is reached at its execute-api URL. */
  readonly domain?: PersonalOsDomainOptions;
}

const APP_DIR = path.resolve(__dirname, '..');

/** What each handler may do with the table (health and me never touch it). */
const TABLE_ACCESS: Record<PersonalOsHandler, 'none' | 'readWrite'> = {
  health: 'none',
  me: 'none',
  tasks: 'readWrite',
  goals: 'readWrite',
  habits: 'readWrite',
  metrics: 'readWrite',
  wallet: 'readWrite',
};

/** `personal-os` handler `tasks` -> construct id `Tasks`. */
const pascalCase = (name: string): string => name.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

/** The REST API and its functions: changes with every feature. */
export class PersonalOsApiStack extends Stack {
  public readonly api: SecureRestApi;
  /** The API's functions by handler name. */
  public readonly functions: Record<PersonalOsHandler, EnhancedLambdaFunction>;
  public readonly domain?: CustomDomain;
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: PersonalOsApiStackProps) {
    super(scope, id, props);
    const profile = EnvironmentConfig.of(this);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });
    this.api = new SecureRestApi(this, 'Api', {
      authorizer: props.users.authorizer(),
      webAclArn: props.webAclArn,
      alarms: this.alarms,
    });

    // One function per handler of the route table; every route of ROUTES is wired, none by hand.
    const names = [...new Set(ROUTES.map((r) => r.handler))];
    this.functions = Object.fromEntries(names.map((name) => {
      const fn = new EnhancedLambdaFunction(this, pascalCase(name), {
        code: bundledHandlerCode(APP_DIR, name),
        environment: {
          POWERTOOLS_SERVICE_NAME: name,
          POWERTOOLS_METRICS_NAMESPACE: PERSONAL_OS_METRICS_NAMESPACE,
          STAGE: profile.environment,
          ...(TABLE_ACCESS[name] === 'readWrite' ? { TABLE_NAME: props.table.tableName } : {}),
        },
        memorySize: 512,
        timeout: Duration.seconds(10),
        // Synchronous API calls: the caller gets the error, there is nothing to redrive.
        deadLetterQueueEnabled: false,
        alarms: this.alarms,
      });
      if (TABLE_ACCESS[name] === 'readWrite') props.table.grantReadWriteData(fn);
      return [name, fn];
    })) as Record<PersonalOsHandler, EnhancedLambdaFunction>;
    for (const route of ROUTES) {
      this.api.addRoute(route.name, {
        path: route.path,
        method: route.method,
        handler: this.functions[route.handler],
        authorizationExempt: route.publicReason !== undefined,
        authorizationExemptReason: route.publicReason,
      });
    }

    if (props.domain) {
      this.domain = new CustomDomain(this, 'Domain', {
        domainName: props.domain.domainName,
        hostedZone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: props.domain.hostedZoneId, zoneName: props.domain.zoneName }),
        alarms: this.alarms,
      });
      this.domain.addRestApi('Mapping', this.api.api, { stage: this.api.stage });
    }
  }
}
