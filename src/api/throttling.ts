import { Token, aws_apigateway as apigw } from 'aws-cdk-lib';
import { PropsValidator } from '../core/validation';

/** Checks throttling settings (rate > 0, integer burst >= 1): of a SecureRestApi's stage and of an ApiRoute. */
export function validateThrottling(v: PropsValidator, prefix: string, t: apigw.ThrottleSettings | undefined): void {
  if (!t) return;
  const rate = t.rateLimit;
  if (rate !== undefined && !Token.isUnresolved(rate)) {
    v.check(Number.isFinite(rate) && rate > 0, `${prefix}.rateLimit`, rate, 'a number > 0 (requests per second)');
  }
  const burst = t.burstLimit;
  if (burst !== undefined && !Token.isUnresolved(burst)) {
    v.check(Number.isInteger(burst) && burst >= 1, `${prefix}.burstLimit`, burst, 'an integer >= 1');
  }
}
