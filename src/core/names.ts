import { createHash } from 'crypto';
import { Names, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * A physical name derived from the construct path (so two constructs never collide) that
 * stays readable and within the service's length limit.
 */
export function uniqueName(scope: IConstruct, maxLength: number, separator = '-'): string {
  return Names.uniqueResourceName(scope, { maxLength, separator });
}

/**
 * A readable name from the construct path below its stack (`Files/Table` -> `Files-Table`),
 * unique within the stack, restricted to letters, digits, "_", "." and "-", and shortened with
 * a hash when longer than `maxLength`. Used for alarm-set names and alarm ids.
 */
export function stackRelativeName(scope: IConstruct, maxLength = 64, separator = '-'): string {
  const stackPath = Stack.of(scope).node.path;
  const relative = scope.node.path.slice(stackPath.length).split('/').filter(Boolean);
  const name = relative.map((part) => part.replace(/[^A-Za-z0-9_.-]/g, '')).join(separator) || 'Stack';
  if (name.length <= maxLength) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, maxLength - 9)}-${hash}`;
}
