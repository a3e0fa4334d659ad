// Lint: typescript-eslint's recommended rules plus the dependency rule of docs/architecture.md:
// src/core imports nothing outside itself; only src/app.ts wires concrete providers and stores;
// provider adapters depend on core and providers/_shared only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const concrete = ['**/providers/*', '**/providers/**', '**/store/*', '**/store/**'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'ui/dist/**', 'coverage/**', 'scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', performance: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextDecoderStream: 'readonly', ReadableStream: 'readonly', TransformStream: 'readonly', fetch: 'readonly', structuredClone: 'readonly', setImmediate: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // CommonJS: native/malloc-trim's loader of its compiled addon.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!node:|\\./)', message: 'src/core depends on nothing but Node built-ins.' }] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/app.ts', 'src/app-primary.ts', 'src/core/**', 'src/providers/**', 'src/store/**', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: concrete, message: 'Only src/app.ts imports concrete providers and stores; use the interfaces in src/core.' }] }],
    },
  },
  {
    files: ['src/providers/**/*.ts'],
    ignores: ['src/providers/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/router/**', '**/server/**', '**/api/**', '**/store/**', '**/ledger/**', '**/config/**', '**/telemetry/**', '**/app.ts', '**/pipeline.ts', '**/upstream/**'],
              message: 'Provider adapters depend on src/core and src/providers/_shared only.',
            },
          ],
        },
      ],
    },
  },
);
