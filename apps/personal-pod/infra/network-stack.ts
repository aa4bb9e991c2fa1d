import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Network } from '../../../src';

/** The VPC: longest-lived, changes rarely. NAT count comes from the EnvironmentConfig. */
export class PersonalPodNetworkStack extends Stack {
  public readonly network: Network;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.network = new Network(this, 'Network');
  }
}
