import { Annotations, AspectPriority, Aspects, CfnResource, IAspect, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Share of the stack's resource limit above which synthesis warns. */
export const RESOURCE_LIMIT_WARNING_SHARE = 0.8;
/** aws-cdk-lib's context key for the limit (CloudFormation's 500 when unset). */
const LIMIT_CONTEXT = '@aws-cdk/core:stackResourceLimit';
const DEFAULT_LIMIT = 500;
/** Id of the warning, for `Annotations.acknowledgeWarning`. */
export const RESOURCE_LIMIT_WARNING_ID = 'cloudvault-constructs:stackResourceLimit';

const watched = new WeakSet<Stack>();

/**
 * Warns at synthesis when the scope's stack holds more than 80 % of its resource limit, naming
 * the constructs that contribute most, so a growing app is split before CloudFormation refuses
 * it (aws-cdk-lib only fails at 100 %). Idempotent per stack; the library's per-stack shared
 * resources call it, so every stack that uses the library is watched.
 */
export function watchResourceLimit(scope: IConstruct): void {
  const stack = Stack.of(scope);
  if (watched.has(stack)) return;
  watched.add(stack);
  Aspects.of(stack).add(new ResourceLimitWarning(stack), { priority: AspectPriority.READONLY });
}

class ResourceLimitWarning implements IAspect {
  constructor(private readonly stack: Stack) {}

  public visit(node: IConstruct): void {
    if (node !== this.stack) return;
    const limit = Number(this.stack.node.tryGetContext(LIMIT_CONTEXT) ?? DEFAULT_LIMIT);
    if (!(limit > 0)) return; // 0 turns aws-cdk-lib's check off; so it does ours
    const resources = this.stack.node.findAll().filter((c) => CfnResource.isCfnResource(c) && c.stack === this.stack);
    if (resources.length <= limit * RESOURCE_LIMIT_WARNING_SHARE) return;
    const byTopLevel = new Map<string, number>();
    const depth = this.stack.node.scopes.length;
    for (const r of resources) {
      const id = r.node.scopes[depth]?.node.id ?? r.node.id;
      byTopLevel.set(id, (byTopLevel.get(id) ?? 0) + 1);
    }
    const biggest = [...byTopLevel].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([id, n]) => `${id} (${n})`).join(', ');
    Annotations.of(this.stack).addWarningV2(RESOURCE_LIMIT_WARNING_ID,
      `${resources.length} of the stack's ${limit} resources (${Math.round(100 * resources.length / limit)} %), `
      + `above ${100 * RESOURCE_LIMIT_WARNING_SHARE} %; biggest contributors: ${biggest}. `
      + 'Move a group of constructs into a stack of its own before CloudFormation refuses the template.');
  }
}
