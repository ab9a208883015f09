import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/.build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly', AbortController: 'readonly',
        AbortSignal: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly', fetch: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // Importing procvisor must stay cheap. An ESM value import of a Node built-in goes through the
    // built-in's ESM wrapper, which reads every export: for `fs` that wakes the lazy stream getters
    // and loads Node's whole stream stack, and `child_process` and `net` load it on their own.
    // Together these cost about 5 ms of CPU per import of the package (of about 36 ms). Library code
    // fetches them at first use through src/util/builtins.ts instead; `import type` costs nothing
    // and stays allowed. Exempt: the command (src/cli, its own entry point, which the library never
    // imports), the test helpers (src/testing, likewise), and the health checks that open sockets
    // or run commands, which come with health/runner.ts, loaded by a dynamic import on first use.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/testing/**', 'src/health/check-exec.ts', 'src/health/check-tcp.ts', 'src/health/http-lite.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['child_process', 'fs', 'module', 'net', 'util'].flatMap((name) =>
            [name, `node:${name}`].map((id) => ({
              name: id,
              allowTypeImports: true,
              message: `Load it at first use through src/util/builtins.ts: a value import of ${id} adds to the CPU cost of every import of procvisor (see the comment there). \`import type\` is fine.`,
            })),
          ),
        },
      ],
    },
  },
  {
    files: ['test/fixtures/**', 'scripts/**', 'bench/**', 'examples/**'],
    rules: { 'no-console': 'off' },
  },
);
