import { Token } from 'aws-cdk-lib';
import { PropsValidator } from '../core/validation';

/** An AWS region name such as "eu-central-1" (also GovCloud and ISO regions). */
export const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/;

/** What an ARN of one kind looks like. */
export interface ArnShape {
  /** The service part, e.g. "kms". */
  readonly service: string;
  /** Whether the ARN has a region and account (S3 bucket ARNs have neither). */
  readonly regional: boolean;
  /** The resource part (everything after the account), e.g. /^key\/.+$/. */
  readonly resource: RegExp;
  /** Completes "<prop> must be ...", e.g. 'a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)'. */
  readonly allowed: string;
}

/**
 * Checks an ARN's literal parts against `shape` and returns its region when that part is
 * concrete. ARNs built from tokens (e.g. `Stack.formatArn` with a concrete region) are checked
 * part by part; a whole token (an attribute of another resource) is skipped.
 */
export function checkArn(v: PropsValidator, prop: string, arn: string | undefined, shape: ArnShape): string | undefined {
  if (arn === undefined || (Token.isUnresolved(arn) && !arn.startsWith('arn:'))) return undefined;
  const parts = arn.split(':');
  const known = (s: string | undefined) => s !== undefined && !Token.isUnresolved(s);
  const [, partition, service, region, account] = parts;
  const resource = parts.slice(5).join(':');
  const ok = parts.length >= 6 && parts[0] === 'arn' && service === shape.service
    && (!known(partition) || /^aws(-[a-z]+)*$/.test(partition))
    && (shape.regional ? (!known(account) || /^\d{12}$/.test(account)) && region !== '' : region === '' && account === '')
    && (!known(resource) || shape.resource.test(resource));
  v.check(ok, prop, arn, shape.allowed);
  if (!shape.regional || !known(region)) return undefined;
  v.check(REGION.test(region), prop, arn, `an ARN whose region is an AWS region name such as "eu-central-1" (found "${region}")`);
  return region;
}

export const KMS_KEY_ARN: ArnShape = {
  service: 'kms',
  regional: true,
  resource: /^key\/[A-Za-z0-9-]+$/,
  allowed: 'a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)',
};
