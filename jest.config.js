import { readdirSync } from 'node:fs';

// Jest runs TypeScript as native ESM (node --experimental-vm-modules) through @swc/jest.
// Three projects, by file suffix: unit (*.spec.ts, pure, no I/O), int (*.int-spec.ts, real
// PostgreSQL and Kafka) and e2e (test/e2e/*.e2e-spec.ts, black-box against running services).
const swcTypeScript = [
  '@swc/jest',
  {
    swcrc: false, // .swcrc is the build's config (it excludes test files)
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
    },
    module: { type: 'es6' },
  },
];
// cookie 1.x is ESM-only but is required() by light-my-request (Fastify inject); Node 20 under
// Jest cannot require ESM, so that one package is compiled to CommonJS.
const swcCookieToCommonJs = ['@swc/jest', { swcrc: false, module: { type: 'commonjs' } }];

// Every folder of libs/ is a lib, imported as @backchannel/<folder> (tsconfig.json, .swcrc and
// nest-cli.json list them too: workspace-layout.spec.ts checks that all four agree).
const libs = readdirSync(new URL('./libs', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': swcTypeScript,
    'node_modules/cookie/.+\\.js$': swcCookieToCommonJs,
  },
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
  moduleNameMapper: {
    ...Object.fromEntries(libs.map((lib) => [`^@backchannel/${lib}$`, `<rootDir>/libs/${lib}/src/index.ts`])),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
};

export default {
  // Global only (Jest ignores it per project): generous for the e2e stacks, unit tests finish in ms.
  testTimeout: 180_000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/test/*.spec.ts'] },
    {
      ...shared,
      displayName: 'int',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts', '<rootDir>/test/int/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/setup/migrate-database.global-setup.ts',
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/setup/migrate-database.global-setup.ts',
    },
  ],
};
