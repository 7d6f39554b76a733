// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.cache/**',
      '.venv*/**',
      'coverage/**',
      'libs/contracts/src/generated/**',
      '**/*.mjs',
      'jest.config.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { disallowTypeAnnotations: false, fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Libraries serve both apps: an app's code inside one would tie them together.
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(gateway|control-plane)/',
              message: 'libs never import the apps (gateway/, control-plane/).',
            },
          ],
        },
      ],
    },
  },
  {
    // The request path and its backends sit below the front doors: a backend importing a front
    // door's code would make the front door part of every backend.
    files: [
      'gateway/src/inference/**/*.ts',
      'gateway/src/admission/**/*.ts',
      'gateway/src/batching/**/*.ts',
      'gateway/src/rate-limits/**/*.ts',
      'gateway/src/breakers/**/*.ts',
      'gateway/src/kserve-wire/**/*.ts',
    ],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(kserve|vision|http-server|grpc-server)/',
              message:
                'the request path and backends never import a front door (kserve/, vision/, http-server/, grpc-server/); shared wire code lives in kserve-wire/.',
            },
          ],
        },
      ],
    },
  },
  {
    // A stage is one step the pipeline runs; a stage calling the pipeline would run guards twice.
    files: ['gateway/src/**/*.stage.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(call-pipeline|tensor-calls|detect-pipeline)$',
              message: 'stages never import the pipeline that runs them.',
            },
            // Repeated from the request-path block: a file matching both gets this block's list.
            {
              regex: '^(\\.\\./)+(kserve|vision|http-server|grpc-server)/',
              message: 'the request path and backends never import a front door.',
            },
          ],
        },
      ],
    },
  },
  {
    // The request-path contract (InferRequest, CallContext, stage and backend interfaces) is what
    // every module builds on; it depends on nothing of theirs. One exception: the tensor value
    // types (inference/tensor.ts), whose BYTES storage is a class with behaviour of its own.
    files: ['gateway/src/request-path/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!inference/tensor$)',
              message:
                'the request-path contract imports nothing else from the gateway (only the tensor value types).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'load-tests/**/*.ts'],
    rules: {
      '@typescript-eslint/explicit-module-boundary-types': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  {
    // Plain CommonJS run by node itself (benchmark children that must not load the TypeScript
    // register: the gateway child when it runs the compiled gateway, the pass-through floors).
    files: ['load-tests/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/explicit-module-boundary-types': 'off',
    },
  },
);
