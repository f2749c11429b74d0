import type { AccessRequest } from '../policy-engine.ts';

/**
 * What IAM evaluates for each SNS action the twin serves: `sns:<Action>` on the topic's ARN.
 * Publishing to a topic encrypted with a KMS key also needs, of the publisher, the key's
 * `kms:GenerateDataKey` and `kms:Decrypt` through SNS (`kms:ViaService` =
 * `sns.<region>.amazonaws.com`), with the topic's ARN as the encryption context (the SNS
 * guide, "Encryption at rest": key management).
 */

export interface SnsAccessContext {
  account: string;
  region: string;
  /** The KMS key ARN a topic is encrypted with, if any. */
  topicKey(topicArn: string): string | undefined;
}

type Rule = (params: URLSearchParams, at: SnsAccessContext) => AccessRequest[];

export const SNS_ACCESS: Readonly<Record<string, Rule>> = {
  Publish: (params, at) => {
    const topic = params.get('TopicArn') ?? '';
    const key = at.topicKey(topic);
    const publish: AccessRequest = { action: 'sns:Publish', resource: topic };
    if (!key) return [publish];
    const viaSns = {
      'kms:ViaService': `sns.${at.region}.amazonaws.com`,
      'kms:CallerAccount': at.account,
      'kms:EncryptionContext:aws:sns:topicArn': topic,
      'kms:EncryptionContextKeys': ['aws:sns:topicArn'],
    };
    return [
      publish,
      { action: 'kms:GenerateDataKey', resource: key, context: viaSns },
      { action: 'kms:Decrypt', resource: key, context: viaSns },
    ];
  },
  CreateTopic: (params, at) => [
    {
      action: 'sns:CreateTopic',
      resource: `arn:aws:sns:${at.region}:${at.account}:${params.get('Name') ?? ''}`,
    },
  ],
  ListTopics: () => [{ action: 'sns:ListTopics', resource: '*' }],
};
