import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Network } from '../../../src';

/** CloudVault's VPC: longest-lived, changes rarely; functions that need private access join it. */
export class CloudVaultNetworkStack extends Stack {
  public readonly network: Network;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    // NAT gateway count comes from the EnvironmentConfig (none in dev, one per AZ in prod).
    this.network = new Network(this, 'Network');
  }
}
