// Lint is part of the test command. Rules stay close to the recommended sets;
// the few additions guard the layering and error conventions in design.md §2 and §7.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dev/registry/target/**', '.pitlane/**', 'coverage/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', AbortController: 'readonly', fetch: 'readonly', performance: 'readonly', setImmediate: 'readonly', structuredClone: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Only src/kafka may talk to kafkajs or the registry client (design.md §2).
    files: ['src/**/*.ts', 'comparators/**/*.ts', 'examples/**/*.ts'],
    ignores: ['src/kafka/**', 'src/dev/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [
        { name: 'kafkajs', message: 'Only src/kafka/ imports kafkajs; use the KafkaPort.' },
        { name: '@kafkajs/confluent-schema-registry', message: 'Only src/kafka/ imports the registry client.' },
      ] }],
    },
  },
  {
    // The dashboard's page scripts run in the browser (served by src/dashboard/server.ts).
    files: ['src/dashboard/public/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: { window: 'readonly', document: 'readonly', location: 'readonly', Node: 'readonly', EventSource: 'readonly', URLSearchParams: 'readonly', sessionStorage: 'readonly', localStorage: 'readonly', confirm: 'readonly', queueMicrotask: 'readonly', CSS: 'readonly' },
    },
  },
);
