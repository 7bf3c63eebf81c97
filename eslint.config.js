// Type-aware lint: the rule that matters most here is no-floating-promises (an un-awaited write loses data).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // .cache and .bench-out: local caches of benchmarks and training runs (git-ignored).
  { ignores: ['dist/**', 'node_modules/**', 'demo-out/**', 'coverage/**', 'bin/**', '.cache/**', '.bench-out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // vitest's asymmetric matchers (expect.stringMatching, …) are typed `any`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
