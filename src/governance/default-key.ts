import { Duration, Stack, aws_kms as kms } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { EnvironmentConfig } from './environment-config';
import { limitGrantsToAwsServices } from '../core/key-policies';
import { watchResourceLimit } from '../core/resource-limit';

const DEFAULT_KEY_ID = 'CloudVaultDefaultKey';

/**
 * The stack's shared customer-managed key, created on first use, for constructs that were
 * given no key. One key per stack keeps cost flat ($1/month) while every store stays
 * encrypted with a CMK; pass `encryptionKey` to a construct to use a dedicated key instead.
 * It lives in governance, above core, because its removal policy follows the EnvironmentConfig profile.
 */
export function defaultKey(scope: IConstruct): kms.Key {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(DEFAULT_KEY_ID) as kms.Key | undefined;
  if (existing) return existing;
  watchResourceLimit(stack);
  const profile = EnvironmentConfig.of(stack);
  const key = new kms.Key(stack, DEFAULT_KEY_ID, {
    description: `Default customer-managed key of stack ${stack.stackName} (cloudvault-constructs)`,
    enableKeyRotation: true,
    pendingWindow: Duration.days(profile.removalPolicyDestroys ? 7 : 30),
    removalPolicy: profile.removalPolicy,
  });
  limitGrantsToAwsServices(key);
  return key;
}
