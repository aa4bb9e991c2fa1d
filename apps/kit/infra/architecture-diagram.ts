import { CfnResource, Stack, Stage } from 'aws-cdk-lib';

/**
 * The architecture picture of a synthesized app stage, as a Mermaid flowchart (GitHub and
 * most Markdown viewers draw it). Generated, not drawn: nodes are the top-level constructs of each
 * stack that own a notable resource, edges are the references between them in the synthesized
 * templates (IAM grants, integrations, targets, cross-stack imports). `npx projen <app>:diagram`
 * writes it into README.md and docs/; a test fails when they are out of date.
 */

// What a node is, by the first of these resource types found in its construct subtree.
const KINDS: ReadonlyArray<{ type: string; shape: (label: string) => string }> = [
  { type: 'AWS::ApiGateway::RestApi', shape: (l) => `[["${l}"]]` },
  { type: 'AWS::ApiGatewayV2::Api', shape: (l) => `[["${l}"]]` },
  { type: 'AWS::Cognito::UserPool', shape: (l) => `[/"${l}"/]` },
  { type: 'AWS::WAFv2::WebACL', shape: (l) => `{{"${l}"}}` },
  { type: 'AWS::Events::Rule', shape: (l) => `{{"${l}"}}` },
  { type: 'AWS::Scheduler::Schedule', shape: (l) => `{{"${l}"}}` },
  { type: 'AWS::Lambda::EventSourceMapping', shape: (l) => `[/"${l}"\\]` },
  { type: 'AWS::Lambda::Function', shape: (l) => `("${l}")` },
  { type: 'AWS::DynamoDB::GlobalTable', shape: (l) => `[("${l}")]` },
  { type: 'AWS::S3::Bucket', shape: (l) => `[("${l}")]` },
  { type: 'AWS::RDS::DBCluster', shape: (l) => `[("${l}")]` },
  { type: 'AWS::ElastiCache::ServerlessCache', shape: (l) => `[("${l}")]` },
  { type: 'AWS::ElastiCache::ReplicationGroup', shape: (l) => `[("${l}")]` },
  { type: 'AWS::OpenSearchService::Domain', shape: (l) => `[("${l}")]` },
  { type: 'AWS::Backup::BackupPlan', shape: (l) => `["${l}"]` },
  { type: 'AWS::CloudTrail::Trail', shape: (l) => `["${l}"]` },
  { type: 'AWS::GuardDuty::Detector', shape: (l) => `["${l}"]` },
  { type: 'AWS::Config::ConfigRule', shape: (l) => `["${l}"]` },
  { type: 'AWS::CloudWatch::Dashboard', shape: (l) => `["${l}"]` },
  { type: 'AWS::Budgets::Budget', shape: (l) => `["${l}"]` },
  { type: 'AWS::Route53::HealthCheck', shape: (l) => `["${l}"]` },
  { type: 'AWS::EC2::VPC', shape: (l) => `["${l}"]` },
  { type: 'AWS::KMS::Key', shape: (l) => `["${l}"]` },
];

// Shared plumbing every function references: drawn as nodes, but edges to them would hide the rest.
const NO_EDGES_TO = new Set(['AWS::KMS::Key', 'AWS::EC2::VPC', 'AWS::CloudWatch::Dashboard']);
// Alarm sets reference everything they watch and are shown on the dashboard instead; CDK's own
// helpers (custom resource providers, bucket notification handler) and per-stack default keys are plumbing.
const SKIPPED = /^(Alarms|Custom::.*|BucketNotificationsHandler.*|CloudVaultDefaultKey)$/;

interface DiagramNode {
  readonly id: string;
  readonly label: string;
  readonly type: string;
  readonly stack: Stack;
}

/** The Mermaid source (without the ``` fence) of `stage`'s architecture; synthesizes the stage if needed. */
export function architectureDiagram(stage: Stage, stacks: Stack[]): string {
  const assembly = stage.synth();
  const nodes: DiagramNode[] = [];
  const owner = new Map<string, DiagramNode>(); // `<stack>/<logicalId>` -> node
  for (const stack of stacks) {
    for (const top of stack.node.children) {
      if (SKIPPED.test(top.node.id)) continue;
      const resources = top.node.findAll().filter(CfnResource.isCfnResource);
      const kind = KINDS.find((k) => resources.some((r) => r.cfnResourceType === k.type));
      if (!kind) continue;
      const node: DiagramNode = { id: `${stack.node.id}_${top.node.id}`.replace(/[^A-Za-z0-9_]/g, '_'), label: top.node.id, type: kind.type, stack };
      nodes.push(node);
      for (const r of resources) owner.set(`${stack.artifactId}/${stack.resolve(r.logicalId)}`, node);
    }
  }

  // Cross-stack references go through exports: `exportName` -> the producing resource.
  const exports = new Map<string, string>();
  const templates = new Map(stacks.map((s) => [s, assembly.getStackArtifact(s.artifactId).template]));
  for (const [stack, template] of templates) {
    for (const output of Object.values<any>(template.Outputs ?? {})) {
      const target = referencedIds(output.Value)[0];
      if (output.Export?.Name && target) exports.set(output.Export.Name, `${stack.artifactId}/${target}`);
    }
  }

  const edges = new Set<string>();
  for (const [stack, template] of templates) {
    for (const [logicalId, resource] of Object.entries<any>(template.Resources ?? {})) {
      const from = owner.get(`${stack.artifactId}/${logicalId}`);
      if (!from) continue;
      const targets = [
        ...referencedIds(resource.Properties).map((id) => `${stack.artifactId}/${id}`),
        ...importedNames(resource.Properties).map((name) => exports.get(name)).filter((t): t is string => t !== undefined),
      ];
      for (const target of targets) {
        const to = owner.get(target);
        if (to && to !== from && !NO_EDGES_TO.has(to.type)) edges.add(`  ${from.id} --> ${to.id}`);
      }
    }
  }

  const lines = ['flowchart LR'];
  for (const stack of stacks) {
    const own = nodes.filter((n) => n.stack === stack);
    if (own.length === 0) continue;
    lines.push(`  subgraph ${stack.node.id}["${stack.stackName}"]`);
    for (const n of own) lines.push(`    ${n.id}${KINDS.find((k) => k.type === n.type)!.shape(n.label)}`);
    lines.push('  end');
  }
  lines.push(...[...edges].sort());
  return lines.join('\n') + '\n';
}

/** Logical ids named by `Ref` and `Fn::GetAtt` anywhere in `value`. */
function referencedIds(value: unknown): string[] {
  const found: string[] = [];
  walk(value, (obj) => {
    if (typeof obj.Ref === 'string' && !obj.Ref.startsWith('AWS::')) found.push(obj.Ref);
    const att = obj['Fn::GetAtt'];
    if (Array.isArray(att) && typeof att[0] === 'string') found.push(att[0]);
    if (typeof att === 'string') found.push(att.split('.')[0]);
  });
  return found;
}

/** Export names read with `Fn::ImportValue` anywhere in `value`. */
function importedNames(value: unknown): string[] {
  const found: string[] = [];
  walk(value, (obj) => {
    if (typeof obj['Fn::ImportValue'] === 'string') found.push(obj['Fn::ImportValue']);
  });
  return found;
}

function walk(value: unknown, visit: (obj: Record<string, any>) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v) => walk(v, visit));
  } else if (value !== null && typeof value === 'object') {
    visit(value as Record<string, any>);
    Object.values(value).forEach((v) => walk(v, visit));
  }
}
