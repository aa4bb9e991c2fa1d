import { Stack, StackProps, aws_dynamodb as dynamodb, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from './table-schema';
import { AlarmSet, EncryptionKeys, SecretStore, SecureTable, UserDirectory } from '../../../src';

/** Properties of the Personal OS data stack. */
export interface PersonalOsDataStackProps extends StackProps {
  readonly keys: EncryptionKeys;
  /** The one alarm topic of the app. */
  readonly alarmTopic: sns.ITopic;
}

/** Id of the secret that holds third-party API keys (its value is a random key, rotated every 30 days). */
export const THIRD_PARTY_KEYS_SECRET = 'ThirdPartyApiKeys';

/**
 * Everything stateful, retained and deletion-protected in prod: the single table, the users
 * (Cognito) and the secret for third-party API keys.
 */
export class PersonalOsDataStack extends Stack {
  public readonly table: SecureTable;
  public readonly users: UserDirectory;
  public readonly secrets: SecretStore;
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: PersonalOsDataStackProps) {
    super(scope, id, props);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });

    const attribute = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new SecureTable(this, 'Table', {
      partitionKey: attribute(TABLE_SCHEMA.partitionKey),
      sortKey: attribute(TABLE_SCHEMA.sortKey!),
      encryptionKey: props.keys.data,
      timeToLiveAttribute: TABLE_SCHEMA.timeToLiveAttribute,
      globalSecondaryIndexes: TABLE_SCHEMA.globalSecondaryIndexes.map((gsi) => ({
        indexName: gsi.indexName,
        partitionKey: attribute(gsi.partitionKey),
        sortKey: gsi.sortKey ? attribute(gsi.sortKey) : undefined,
      })),
      alarms: this.alarms,
    });

    // Administrators create users (no self sign-up); TOTP MFA is required in prod.
    this.users = new UserDirectory(this, 'Users', {
      browserClient: { callbackUrls: ['http://localhost:5173/callback'] },
      alarms: this.alarms,
    });

    // Third-party API keys (the seed's LLM providers, out of scope here): only the secret and its
    // rotation function, ready for a handler that is granted `secrets.grantRead`.
    // The store's key is this stack's default customer-managed key: the Control Tower rule on the
    // rotation function's log group accepts only a key of the same stack (no cross-stack import).
    this.secrets = new SecretStore(this, 'Secrets', { alarms: this.alarms });
    this.secrets.addApiKeySecret(THIRD_PARTY_KEYS_SECRET, { description: 'Personal OS third-party API keys' });
  }
}
