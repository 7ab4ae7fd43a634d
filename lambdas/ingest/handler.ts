import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

/**
 * Ingest Lambda entry point (payload format 2.0). Placeholder with the final signature so the
 * CDK bundling of this entry file works while the ingest pipeline is being built.
 */
export async function handler(
  _event: APIGatewayProxyEventV2,
  _context?: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  return {
    statusCode: 503,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: 'not wired yet' }),
  };
}
