import { App } from 'aws-cdk-lib';
import { addLifecycleStack } from './lifecycle-stack.js';

addLifecycleStack(new App());
