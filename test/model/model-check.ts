/**
 * The model check: what is wrong with one answer of the twin, measured against the published
 * service model (the output structure of its operation, or the error shapes). The suite runs it
 * over every answer the twin gives in every test file (recorder.setup.ts).
 */
import type { PublishedResponse } from '../../twin/cognito/server.ts';
import { errorModel, operationModel, outputProblems } from '../../twin/cognito/service-model.ts';

/**
 * Errors of the JSON protocol itself and of AWS's authentication and authorization, common to
 * every service, which no service model lists.
 */
const PROTOCOL_ERRORS = new Set([
  'SerializationException',
  'UnknownOperationException',
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'InvalidSignatureException',
  'UnrecognizedClientException',
  'AccessDeniedException',
]);

export function answerProblems(answer: PublishedResponse): string[] {
  const { service, operation, status, body } = answer;
  // Answers are checked as they went over the wire.
  const wire: unknown = JSON.parse(JSON.stringify(body));
  if (status === 200) {
    const model = operationModel(service, operation);
    if (!model) return [`${operation} is not an operation of the ${service} model`];
    return outputProblems(wire, model.output);
  }
  const { __type: type, ...members } = wire as { __type?: string };
  if (typeof type !== 'string') return ['an error answer without __type'];
  if (PROTOCOL_ERRORS.has(type)) return [];
  const shape = errorModel(service, type);
  if (!shape) return [`${type} is not an error of the ${service} model`];
  return outputProblems(members, shape, type);
}
