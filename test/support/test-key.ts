import { aws_kms as kms } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { limitGrantsToAwsServices } from '../../src/core/key-policies';

/**
 * A customer-managed key as a user would pass one to a construct: rotation on and grants limited
 * to AWS services, so it passes AWS Control Tower CT.KMS.PR.3 like the library's own keys.
 */
export function testKey(scope: Construct, id: string, props: kms.KeyProps = {}): kms.Key {
  const key = new kms.Key(scope, id, { enableKeyRotation: true, ...props });
  limitGrantsToAwsServices(key);
  return key;
}
