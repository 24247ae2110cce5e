// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  // The client example's types are generated from openapi.yaml (npm run openapi:client), not written here.
  { ignores: ['dist/', 'coverage/', '.tap/', '.data/', 'examples/typescript-client/campaign-service.d.ts'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      // Fastify plugins and hooks are async to opt out of the `done` callback, with or without an await.
      '@typescript-eslint/require-await': 'off',
      // `_name` keeps a positional parameter a signature needs; `{ a: _a, ...rest }` omits a key.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/no-floating-promises': ['error', {
        // tap queues every subtest itself: `t.test(...)` needs no await.
        allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }]
      }]
    }
  },
  {
    // Migrations are frozen in time: they type the database as Kysely<any>, never the app's schema.
    files: ['db/migrations/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' }
  },
  {
    // Injected responses' .json() is `any`; the assertions are what check the shape.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off'
    }
  },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] }
)
