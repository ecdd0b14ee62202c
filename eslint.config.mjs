import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Node-only globals and modules: core and the vendor packages must also run in a browser. */
const nodeOnlyGlobals = ['Buffer', 'process', 'require', '__dirname', '__filename', 'global'].map((name) => ({
  name,
  message: 'Browser-compatible packages must not use Node-only globals.',
}));

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'docs/api/**', '**/.nx/**', '**/coverage/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      // Hot-path fetcher objects close over their owner instead of binding methods.
      '@typescript-eslint/no-this-alias': 'off',
    },
  },
  {
    // Node scripts and tools.
    files: ['**/*.mjs', '**/*.cjs', 'tools/**/*.ts', 'packages/cli/**/*.ts', '**/test/**/*.ts', '**/bench/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['packages/{core,arm-smmuv3,intel-vtd}/src/**/*.ts', 'src/**/*.ts'],
    ignores: ['packages/cli/**', 'packages/testkit/**'],
    rules: {
      'no-restricted-globals': ['error', ...nodeOnlyGlobals],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*', 'fs', 'path', 'os', 'crypto', 'worker_threads', 'child_process'], message: 'Node-only module in a browser-compatible package.' }] },
      ],
    },
  },
);
