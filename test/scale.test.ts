import { Stack, aws_dynamodb as dynamodb } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { libraryServices } from '../bench/scale-composition';
import { SecureTable } from '../src';
import { testApp, testStack } from './support/nag-harness';

// Issue 12's yardstick: N "services" of function + table + bucket + one GET route with read/write
// grants in one stack. Secure defaults share per stack what can be shared (key, alarm topic,
// access-log bucket), so a service costs a bounded number of resources.
function servicesStack(n: number): Stack {
  const stack = testStack(testApp(), `Services${n}`);
  libraryServices(stack, 0, n);
  return stack;
}

const count = (stack: Stack) => Object.keys(Template.fromStack(stack).toJSON().Resources).length;

describe('resources per service', () => {
  const counts = new Map<number, number>();
  beforeAll(() => {
    for (const n of [1, 2, 20]) counts.set(n, count(servicesStack(n)));
  });

  // 32 per service before the stack shared its alarm topic and access-log bucket (it failed at 20
  // services with 656 resources), 24 before a function's version and alias became opt-in, 22
  // before per-route alarms became opt-in (issue 12 asked for at most 460 and 22).
  test('a 20-service stack synthesizes in one stack with at most 400 resources', () => {
    expect(counts.get(20)).toBeLessThanOrEqual(400);
  });

  test('each added service costs at most 19 resources', () => {
    expect(counts.get(2)! - counts.get(1)!).toBeLessThanOrEqual(19);
    expect((counts.get(20)! - counts.get(1)!) / 19).toBeLessThanOrEqual(19);
  });

  test('the stack has one alarm topic and one access-log bucket whatever the number of services', () => {
    const template = Template.fromStack(servicesStack(3));
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::S3::Bucket', 4); // three data buckets + the shared access-log bucket
  });
});

describe('a stack that passes 80 % of its resource limit', () => {
  const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cloudvault-constructs:stackResourceLimit'));

  test('warns once, with its count and the biggest contributors', () => {
    const stack = servicesStack(24);
    const found = warnings(stack);
    expect(found).toHaveLength(1);
    expect(found[0].id).toBe('/Services24');
    const message = String(found[0].entry.data);
    expect(message).toMatch(new RegExp(`^${count(stack)} of the stack's 500 resources \\(9\\d %\\), above 80 %; biggest contributors: Api \\(\\d+\\), `));
  });

  test('is silent below 80 %', () => {
    expect(warnings(servicesStack(3))).toHaveLength(0);
  });

  test('follows aws-cdk-lib\'s resource limit context', () => {
    const app = testApp({ context: { '@aws-cdk/core:stackResourceLimit': 18 } });
    const stack = testStack(app, 'Small');
    for (let i = 0; i < 4; i++) new SecureTable(stack, `Table${i}`, { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const total = count(stack);
    expect(total).toBeGreaterThan(0.8 * 18);
    expect(String(warnings(stack)[0]?.entry.data)).toContain(`${total} of the stack's 18 resources`);
  });
});
