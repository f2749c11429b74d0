import {
  type CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { type PasswordHashingAlgorithm, type PoolRules, poolRulesFrom } from '../csv/index.ts';

/** Reads what a pool requires of an import CSV: its description and its CSV header. */
export async function readPoolRules(
  cognito: Pick<CognitoIdentityProviderClient, 'send'>,
  userPoolId: string,
  passwordHashingAlgorithm?: PasswordHashingAlgorithm,
): Promise<PoolRules> {
  const [described, header] = await Promise.all([
    cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId })),
    cognito.send(new GetCSVHeaderCommand({ UserPoolId: userPoolId })),
  ]);
  return poolRulesFrom(
    described.UserPool ?? {},
    header.CSVHeader ?? [],
    passwordHashingAlgorithm ? { passwordHashingAlgorithm } : {},
  );
}
