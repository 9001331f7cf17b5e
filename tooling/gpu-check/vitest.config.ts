import { defineProject } from 'vitest/config';
import { myelinTestConfig } from '@myelin/vitest-preset';

export default defineProject(myelinTestConfig('@myelin/gpu-check'));
