import { motoClientConfig } from '../../support/aws.js';

/**
 * The standard AWS SDK variables pointing at the tests' moto_server: the CLI builds its clients
 * from the environment, as in an operator's shell, so the tests give it one.
 */
export function awsSdkEnv(): Record<string, string> {
  const aws = motoClientConfig();
  return {
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_REGION: aws.region,
    AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
  };
}
