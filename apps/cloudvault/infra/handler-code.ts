import * as path from 'path';
import { aws_lambda as lambda } from 'aws-cdk-lib';
import { bundledHandlerCode } from '../../kit/infra/handler-code';

/** The bundled code of CloudVault handler `name` (apps/cloudvault/handlers/<name>.lambda.ts). */
export function handlerCode(name: string): lambda.Code {
  return bundledHandlerCode(path.resolve(__dirname, '..'), name);
}
