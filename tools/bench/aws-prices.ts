/**
 * AWS list prices in us-east-1 used by the bench's cost row; the same figures as docs/cost.md
 * "Cost" section (arm64 Lambda, SQS FIFO, DynamoDB on demand, Secrets Manager, CloudWatch Logs).
 */
export const AWS_PRICES = {
  lambdaGbSecondArm: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  sqsFifoPerMillionRequests: 0.5,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  secretsManagerPer10kCalls: 0.05,
  logsIngestionPerGb: 0.5,
} as const;
