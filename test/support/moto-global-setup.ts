import type { TestProject } from 'vitest/node';
import { startMotoServer } from '../../tools/local/moto-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoint: string;
  }
}

/**
 * Starts one moto_server for the whole run: the tests that make claims about SQS, DynamoDB and
 * Secrets Manager talk to a real AWS protocol endpoint, never to a mock. A missing moto_server
 * fails the run here instead of letting those tests skip.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.AWS_ENDPOINT_URL;
  if (external) {
    project.provide('awsEndpoint', external);
    return async () => {};
  }
  const moto = await startMotoServer();
  project.provide('awsEndpoint', moto.endpoint);
  return () => moto.stop();
}
