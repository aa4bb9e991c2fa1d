import { Stack, StackProps, aws_ec2 as ec2, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DATABASE_NAME } from './routes';
import { AlarmSet, BackupPlan, Database, EnvironmentConfig, SearchDomain, SecureBucket, UserDirectory } from '../../../src';

/** Properties of the data stack. */
export interface PersonalPodDataStackProps extends StackProps {
  readonly vpc: ec2.IVpc;
  readonly alarmTopic: sns.ITopic;
}

/**
 * The stateful stores, deployed before the code that uses them: the users (Cognito), the diary
 * (entries, versions, categories, tags: Aurora Serverless v2 behind RDS Proxy), the search index
 * (OpenSearch), the files attached to entries (S3, with their thumbnails) and the backup plan over
 * the database.
 */
export class PersonalPodDataStack extends Stack {
  public readonly users: UserDirectory;
  public readonly database: Database;
  public readonly search: SearchDomain;
  /** Attachments (`attachments/`), their thumbnails (`thumbnails/`) and rejected uploads (`quarantine/`). */
  public readonly files: SecureBucket;
  public readonly backups: BackupPlan;
  public readonly alarms: AlarmSet;
  /**
   * Security group of the functions that use the database and the search domain: the stores let
   * it in, it reaches them and HTTPS (AWS APIs) only. It lives here so that the ingress rules the
   * stores need do not make this stack depend on the API stack.
   */
  public readonly clients: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: PersonalPodDataStackProps) {
    super(scope, id, props);
    const prod = EnvironmentConfig.of(this).isProduction;
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });
    this.users = new UserDirectory(this, 'Users', {
      browserClient: { callbackUrls: ['https://personal-pod.example.com/callback'] },
      alarms: this.alarms,
    });
    this.backups = new BackupPlan(this, 'Backups', { alarms: this.alarms });
    this.database = new Database(this, 'Database', { vpc: props.vpc, databaseName: DATABASE_NAME, backupPlan: this.backups, alarms: this.alarms });
    // Prod: the secure default (3 AZs, 3 data nodes, 3 dedicated masters); dev: one small node.
    this.search = new SearchDomain(this, 'Search', {
      vpc: props.vpc,
      ...(prod ? {} : { availabilityZones: 1, dataNodes: 1, masterNodes: 0, volumeSizeGiB: 10 }),
      alarms: this.alarms,
    });
    // Object-created events go to EventBridge, where the API stack's rule picks up the uploads.
    this.files = new SecureBucket(this, 'Files', { eventBridgeEnabled: true, alarms: this.alarms });
    this.clients = new ec2.SecurityGroup(this, 'Clients', {
      vpc: props.vpc,
      description: 'PersonalPod functions: the database proxy, the search domain and HTTPS to AWS APIs',
      allowAllOutbound: false,
    });
    this.clients.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs and the search domain');
    this.database.allowFrom(this.clients, 'PersonalPod functions to the RDS Proxy');
    this.search.allowFrom(this.clients);
  }
}
