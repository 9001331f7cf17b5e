// ESLint for the whole workspace: typescript-eslint's recommended rules, exhaustive switches
// over unions (a missing case must not compile silently), and no import cycles except the one
// the design has: Tensor methods call ops, ops record autograd nodes, autograd makes Tensors.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/build/**',
      '**/coverage/**',
      '**/.turbo/**',
      'runs/**',
      'docs/api/**',
      '.myelin-test-reports/**',
      '**/.scratch/**',
      // The prepared GPU check's assembled folder and loader debs (pnpm gpu-check:prepare).
      '.gpu-check/**',
      '.gl/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.browser },
      parserOptions: { projectService: true },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js', '.mjs'] } } },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // The one cycle by design: tensor <-> ops <-> autograd (see docs/design.md, "Autograd lives in core").
    files: ['packages/core/src/tensor/**', 'packages/core/src/ops/**', 'packages/core/src/autograd/**'],
    rules: { 'import-x/no-cycle': 'off' },
  },
  {
    // Config files and plain scripts are in no tsconfig: lint them without type information.
    files: ['**/*.js', '**/*.mjs', '**/vitest*.config.ts', '**/vite.config.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Tests poke at decoded JSON and fixtures: `any` there is a convenience, not an API.
    files: ['**/*.test.ts', '**/test/**', '**/test-utils.ts', '**/test-helpers.ts', '**/test-fixtures.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  prettier,
);
