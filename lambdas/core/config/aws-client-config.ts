/**
 * AWS SDK client settings every function's wiring accepts: empty in Lambda, pointed at moto by the
 * local mode and the tests.
 */
export interface AwsClientConfig {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}
