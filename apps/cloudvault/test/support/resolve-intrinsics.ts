/**
 * Resolves the CloudFormation intrinsics of synthesized IAM statements to concrete values for an
 * offline policy evaluator: a fixed partition, account and region, and stand-in ARNs for the
 * resources other stacks export (table, bucket, keys), found by the export's name.
 */
export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/CloudVault-dev-Data-Table`;
export const BUCKET_ARN = 'arn:aws:s3:::cloudvault-dev-data-filesbucket-1a2b3c';
export const DATA_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/data-key`;
export const STORAGE_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/storage-key`;

/** The ARN a role with this logical id stands in for. */
export const roleArn = (logicalId: string): string => `arn:aws:iam::${ACCOUNT}:role/${logicalId}`;

const EXPORTS: [RegExp, string][] = [
  [/Files-BucketArn$|FilesBucket[0-9A-F]{8}Arn/, BUCKET_ARN],
  [/Table[0-9A-F]{8}Arn/, TABLE_ARN],
  [/KeysData[0-9A-F]{8}Arn/, DATA_KEY_ARN],
  [/KeysStorage[0-9A-F]{8}Arn/, STORAGE_KEY_ARN],
];

export function resolveIntrinsics(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolveIntrinsics);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, arg] = entries[0];
    if (fn === 'Ref') return arg === 'AWS::Partition' ? 'aws' : arg === 'AWS::AccountId' ? ACCOUNT : arg === 'AWS::Region' ? REGION : `unresolved-ref-${arg}`;
    if (fn === 'Fn::Join') {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((p) => String(resolveIntrinsics(p))).join(separator);
    }
    if (fn === 'Fn::ImportValue') {
      const name = String(resolveIntrinsics(arg));
      const known = EXPORTS.find(([pattern]) => pattern.test(name));
      return known ? known[1] : `arn:aws:unresolved:${REGION}:${ACCOUNT}:import/${name}`;
    }
    if (fn === 'Fn::GetAtt') {
      const [id, attribute] = arg as [string, string];
      // A role of the same stack (trust policies name the roles that may assume another).
      if (attribute === 'Arn' && /Role[0-9A-F]{8}$/.test(id)) return roleArn(id);
      return `arn:aws:unresolved:${REGION}:${ACCOUNT}:${id}/${attribute}`;
    }
    if (fn === 'Fn::Sub') return String(arg).replace(/\$\{AWS::Partition\}/g, 'aws').replace(/\$\{AWS::AccountId\}/g, ACCOUNT).replace(/\$\{AWS::Region\}/g, REGION);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v)]));
}
