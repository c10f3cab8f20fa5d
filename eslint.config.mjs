// The linter of `npm run lint` (beside tsc and dependency-cruiser); formatting is Prettier's, so the
// stylistic rules are off (eslint-config-prettier).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', '.infra/**', 'coverage/**', 'data/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      // Stripping NUL and other control characters from input is deliberate (Postgres text refuses NUL).
      'no-control-regex': 'off',
      // It flags loop variables reset before a `continue`/`break` that the next pass reads; the code
      // says what it means as written.
      'no-useless-assignment': 'off',
    },
  },
);
