import { Stack, StackProps, aws_ec2 as ec2, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DATABASE_NAME, ROLES } from './routes';
import { AlarmSet, Cache, Database, UserDirectory } from '../../../src';

/** Properties of the data stack. */
export interface CommandCenterDataStackProps extends StackProps {
  readonly vpc: ec2.IVpc;
  readonly alarmTopic: sns.ITopic;
}

/**
 * The stateful stores, deployed before the code that uses them: users and roles (Cognito),
 * commands (Aurora Serverless v2 behind RDS Proxy) and the hot-read cache (Valkey).
 */
export class CommandCenterDataStack extends Stack {
  public readonly users: UserDirectory;
  public readonly database: Database;
  public readonly cache: Cache;
  public readonly alarms: AlarmSet;
  /**
   * Security group of the functions that use the database and the cache: the stores let it in, it
   * reaches them and HTTPS (AWS APIs) only. It lives here so that the ingress rules the stores need
   * do not make this stack depend on the API stack.
   */
  public readonly clients: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: CommandCenterDataStackProps) {
    super(scope, id, props);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });
    this.users = new UserDirectory(this, 'Users', {
      roles: [
        { name: ROLES[0], description: 'Administrators: read and command, manage the tenant', precedence: 0 },
        { name: ROLES[1], description: 'Operators: read and command', precedence: 10 },
        { name: ROLES[2], description: 'Viewers: read only', precedence: 20 },
      ],
      // The handlers take the tenant only from this claim, set once by an administrator.
      immutableAttributes: [{ name: 'tenantId' }],
      browserClient: { callbackUrls: ['https://command-center.example.com/callback'] },
      alarms: this.alarms,
    });
    this.database = new Database(this, 'Database', { vpc: props.vpc, databaseName: DATABASE_NAME, alarms: this.alarms });
    this.cache = new Cache(this, 'Cache', { vpc: props.vpc, alarms: this.alarms });
    this.clients = new ec2.SecurityGroup(this, 'Clients', {
      vpc: props.vpc,
      description: 'Command center functions: the database proxy, the cache and HTTPS to AWS APIs',
      allowAllOutbound: false,
    });
    this.clients.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs (VPC endpoints, NAT)');
    this.database.allowFrom(this.clients, 'Command center functions to the RDS Proxy');
    this.cache.allowFrom(this.clients);
  }
}
