import { readFileSync } from 'node:fs';

/** This package's version (package.json is one folder above dist/ and src/). */
export const CLI_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
