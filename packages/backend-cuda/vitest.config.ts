import { defineProject } from 'vitest/config';
import { myelinTestConfig } from '@myelin/vitest-preset';

const base = myelinTestConfig('@myelin/backend-cuda');
export default defineProject(base);
