import { IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';
import { PropsValidator } from '../core/validation';

/**
 * Wraps a policy-validation plugin so that every violation it reports fails synthesis.
 *
 * aws-cdk-lib (2.276) re-derives a plugin's success after acknowledgements from the remaining
 * violations' `severity`, and plugins such as `CfnGuardValidator` (AWS Control Tower rules) leave
 * it unset: once any of their rules is acknowledged anywhere in the app, the violations left over
 * are printed but no longer fail `cdk synth`. This wrapper marks them `error`, so they do.
 *
 * @example
 * Validations.of(app).addPlugins(new StrictValidationPlugin(new CfnGuardValidator()));
 */
export class StrictValidationPlugin implements IPolicyValidationPluginBeta1 {
  /** The wrapped plugin's name: acknowledgement ids (`<name>::<rule>`) stay the same. */
  public readonly name: string;
  public readonly version?: string;
  public readonly ruleIds?: string[];

  constructor(private readonly plugin: IPolicyValidationPluginBeta1) {
    new PropsValidator('StrictValidationPlugin').check(typeof plugin?.validate === 'function', 'plugin', plugin,
      'a policy-validation plugin (an object with validate())');
    this.name = plugin.name;
    this.version = plugin.version;
    this.ruleIds = plugin.ruleIds;
  }

  public validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const report = this.plugin.validate(context);
    return {
      ...report,
      violations: report.violations.map((v) => ({ ...v, severity: v.severity ?? 'error' })),
    };
  }
}
