import { Stack, StackProps, aws_dynamodb as dynamodb, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DISCUSSIONS_TABLE, PATCHES_TABLE } from './table-schema';
import { AlarmSet, EncryptionKeys, SecureTable } from '../../../src';
import { TableSchema } from '../../kit/infra/table-schema';

export interface PatchTrackerDataStackProps extends StackProps {
  readonly keys: EncryptionKeys;
  readonly alarmTopic: sns.ITopic;
}

/** The two tables (patches, discussions): retained and deletion-protected in prod. */
export class PatchTrackerDataStack extends Stack {
  public readonly patches: SecureTable;
  public readonly discussions: SecureTable;
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: PatchTrackerDataStackProps) {
    super(scope, id, props);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });
    const table = (name: string, schema: TableSchema) => {
      const attribute = (attributeName: string) => ({ name: attributeName, type: dynamodb.AttributeType.STRING });
      return new SecureTable(this, name, {
        partitionKey: attribute(schema.partitionKey),
        sortKey: schema.sortKey ? attribute(schema.sortKey) : undefined,
        encryptionKey: props.keys.data,
        globalSecondaryIndexes: schema.globalSecondaryIndexes.map((gsi) => ({
          indexName: gsi.indexName,
          partitionKey: attribute(gsi.partitionKey),
          sortKey: gsi.sortKey ? attribute(gsi.sortKey) : undefined,
        })),
        alarms: this.alarms,
      });
    };
    this.patches = table('Patches', PATCHES_TABLE);
    this.discussions = table('Discussions', DISCUSSIONS_TABLE);
  }
}
