import { App } from 'aws-cdk-lib';
import { StackConfigError } from './config.js';
import { addLifecycleStack } from './lifecycle-stack.js';

try {
  addLifecycleStack(new App());
} catch (error) {
  // A configuration mistake is the operator's to fix: show the keys, not a stack trace.
  if (!(error instanceof StackConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
