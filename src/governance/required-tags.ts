import { Aspects, IAspect, TagManager } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { PropsValidator } from '../core/validation';

/** Values of the tags every resource must carry. */
export interface RequiredTagsProps {
  /** `Environment` tag, e.g. "prod". */
  readonly environment: string;
  /** `Project` tag, e.g. "cloudvault". */
  readonly project: string;
  /** `Owner` tag: the team or person answerable for the resources. */
  readonly owner: string;
  /** `CostCenter` tag used by cost-allocation reports and budgets. */
  readonly costCenter: string;
  /**
   * More tags to apply alongside the required ones.
   * @default - none
   */
  readonly additionalTags?: Record<string, string>;
}

// AWS tag value rules: up to 256 Unicode letters, digits, spaces and _ . : / = + - @
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;
const TAG_VALUE_RULE = 'a non-empty tag value of up to 256 letters, digits, spaces and _ . : / = + - @';
// Priority above the default (100) so a stray Tags.of(x).remove() cannot strip a required tag.
const PRIORITY = 200;

/**
 * Aspect that puts `Environment`, `Project`, `Owner` and `CostCenter` on every taggable
 * resource below the scope it is applied to. A missing, empty or malformed value fails
 * synthesis with an error naming the tag, so untagged (unallocatable) spend cannot ship.
 */
export class RequiredTags implements IAspect {
  /** The tag keys every resource must carry. */
  public static readonly REQUIRED_KEYS: string[] = ['Environment', 'Project', 'Owner', 'CostCenter'];

  /** What `isValidTagValue` accepts, in words, for error messages. */
  public static readonly TAG_VALUE_RULE: string = TAG_VALUE_RULE;

  /** True when `value` is a tag value AWS accepts (a string, non-empty, at most 256 allowed characters). */
  public static isValidTagValue(value: string): boolean {
    return typeof value === 'string' && TAG_VALUE.test(value);
  }

  /** Applies the required tags to `scope` and everything below it. */
  public static applyTo(scope: IConstruct, props: RequiredTagsProps): RequiredTags {
    const v = new PropsValidator('RequiredTags.applyTo');
    v.required('scope', scope, 'object', 'a construct');
    v.required('props', props, 'object', 'RequiredTagsProps (an object with environment, project, owner, costCenter)');
    const aspect = new RequiredTags(props);
    Aspects.of(scope).add(aspect);
    return aspect;
  }

  /** The tags this aspect applies, by key. */
  public readonly tags: Record<string, string>;

  constructor(props: RequiredTagsProps) {
    new PropsValidator('RequiredTags').required('props', props, 'object', 'RequiredTagsProps (an object with environment, project, owner, costCenter)');
    const v = new PropsValidator('RequiredTags', 'tags');
    const required: Record<string, string | undefined> = {
      Environment: props.environment,
      Project: props.project,
      Owner: props.owner,
      CostCenter: props.costCenter,
    };
    const all: Record<string, string | undefined> = { ...props.additionalTags, ...required };
    for (const [key, value] of Object.entries(all)) {
      v.check(typeof value === 'string' && TAG_VALUE.test(value), key, value, TAG_VALUE_RULE);
    }
    this.tags = all as Record<string, string>;
  }

  public visit(node: IConstruct): void {
    const tags = TagManager.of(node);
    if (!tags) return;
    for (const [key, value] of Object.entries(this.tags)) {
      tags.setTag(key, value, PRIORITY, true);
    }
  }
}
