import { Names } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * A physical name derived from the construct path (so two constructs never collide) that
 * stays readable and within the service's length limit.
 */
export function uniqueName(scope: IConstruct, maxLength: number, separator = '-'): string {
  return Names.uniqueResourceName(scope, { maxLength, separator });
}
