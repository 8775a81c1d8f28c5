import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import { readdirSync } from 'node:fs';

/**
 * Module boundaries: a module's tables are read and written only by that module, so no file
 * in src/modules/<name> may import another module's repository, entity or cache (files named
 * *.repository.ts, *.entity.ts, *.cache.ts); it uses that module's exported services. The
 * rule is written per module and per folder depth, because an import is matched as written
 * (`../users/users.repository.js` from a module's top folder, `../../users/...` one deeper).
 */
const MODULES = readdirSync(new URL('./src/modules/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const OWNED = String.raw`[^/]+\.(repository|entity|cache)\.js$`;
const moduleBoundaries = MODULES.flatMap((name) =>
  [0, 1, 2].map((depth) => ({
    files: [`src/modules/${name}/${'*/'.repeat(depth)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: String.raw`^(\.\./){${depth + 1}}(?!${name}/)[^./][^/]*/(.+/)?${OWNED}`,
              message: `Another module's repository, entity or cache: use its exported service (module boundaries, see README "Architecture").`,
            },
          ],
        },
      ],
    },
  })),
);

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'coverage/**',
      'node_modules/**',
      '.data/**',
      'test/client/generated/**',
      // The CDK app's build output and synthesised templates.
      'deploy/aws/dist/**',
      'deploy/aws/cdk.out/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: false },
      globals: globals.node,
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-console': 'error',
    },
  },
  ...moduleBoundaries,
  {
    // The database layer knows no module: entities are registered by each module.
    files: ['src/database/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: String.raw`(^|/)modules/`, message: 'src/database imports no module.' },
          ],
        },
      ],
    },
  },
  {
    // The admin console runs in the browser (built by Vite, see admin/vite.config.ts).
    files: ['admin/src/**/*.ts'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['bench/**', '.ci/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
