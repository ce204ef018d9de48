import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const clientsAndFrameworks = {
  group: ['kafkajs', 'amqplib', 'ioredis', 'express', 'koa', '@koa/router', 'pg'],
  message: 'Only adapters/ (and outbox/, for pg) may import broker clients, web frameworks and database drivers (and only as types or through loadPeer).',
};
// Import specifiers that leave the core: adapters/ and entry/ by relative path, or the package
// itself by name (which resolves to entry/).
const outwardFromCore = ['^(\\.\\./)+(adapters|entry)(/|$)', '^eventwire(/|$)'];
const coreMessage = 'lib/ imports nothing from adapters/ or entry/: an adapter registers with the core through lib/config/broker-registry.ts.';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', '.cache/', 'scratch/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      'no-duplicate-imports': 'error',
      'no-restricted-imports': ['error', { patterns: [clientsAndFrameworks] }],
    },
  },
  {
    // lib/ is the core: it names brokers but knows no adapter. The adapters register with it
    // (lib/config/broker-registry.ts) from the package's entry modules, so the dependency points one way.
    files: ['lib/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [clientsAndFrameworks, ...outwardFromCore.map((regex) => ({ regex, message: coreMessage }))] }],
      // The same for import(): a selector's regex may not contain '/', hence \x2F.
      'no-restricted-syntax': ['error', ...outwardFromCore.map((regex) => ({ selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\x2F')}/]`, message: coreMessage }))],
    },
  },
  {
    files: ['adapters/**', 'outbox/**', 'test/**', 'examples/**', 'tools/bench/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['test/**', 'tools/*/test/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
