// The layering of shiftgate (README, "Layout"), checked by `npm run lint` (its `lint:layers` step):
// dependencies point inward, bot -> commands -> runbooks -> ports; platform implements the ports; blocks,
// reports and charts are pure renderers. Each rule says why it exists; any violation fails the lint step.
//
// Type-only imports count as imports here: a renderer that imports a store type is tied to the store.
// The sources are parsed by swc (@swc/core), since TypeScript 7 has no compiler API for dependency-cruiser.

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'An import cycle makes two modules one: neither can be read, tested or moved alone, and ' +
        'module evaluation order decides which sees the other half-initialised. Type-only imports count: ' +
        'they couple the two modules as much.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'runbooks-and-gates-see-ports-only',
      severity: 'error',
      comment:
        'The engine and the gates are the core: they declare ports and are handed implementations. ' +
        'Importing an adapter (platform), the Slack surface (commands) or the composition root (bot) ' +
        'would point a dependency outward and tie the core to one world.',
      from: { path: '^src/(runbooks|gates)/' },
      to: { path: '^src/(platform|bot|commands)/' },
    },
    {
      name: 'runbooks-and-gates-no-slack-or-google-sdk',
      severity: 'error',
      comment:
        'runbooks/ and gates/ never import Bolt, the Slack Web API or a Google SDK: they see interfaces ' +
        '(ports), so they run unchanged against the sandbox, the tests and production. ' +
        'ioredis and bullmq are allowed in runbooks/: Redis is the state of record and durable scheduling ' +
        '(BullMQ on that Redis) belongs to the engine.',
      from: { path: '^src/(runbooks|gates)/' },
      to: { path: '(^|node_modules/)(@slack/|@google-cloud/|google-auth-library(/|$)|google-gax(/|$))' },
    },
    {
      name: 'gates-no-redis',
      severity: 'error',
      comment:
        'Gates evaluate and judge; they keep no state of their own (the engine stores their results). ' +
        'Providers take their clients as ports, so no Redis or queue client belongs in gates/.',
      from: { path: '^src/gates/' },
      to: { path: '(^|node_modules/)(ioredis|bullmq)(/|$)' },
    },
    {
      name: 'renderers-are-pure',
      severity: 'error',
      comment:
        'blocks/ and reports/ are pure functions from state to Block Kit JSON or report text. Reaching ' +
        'into the store or a platform adapter would make a renderer do I/O or depend on how state is kept; ' +
        'the types they render belong to the domain (runbooks, gates, incidents, validation).',
      from: { path: '^src/(blocks|reports|charts)/' },
      to: { path: '^src/(store|platform)/' },
    },
    {
      name: 'chart-drawing-stays-in-charts',
      severity: 'error',
      comment:
        'Vega, Vega-Lite and resvg draw the stage charts (src/charts/png.ts) and nothing else: the engine, ' +
        'the gates and the message renderers stay free of a drawing library and its native binary. The ' +
        'Slack side (platform) asks charts/ for a PNG.',
      from: { path: '^src/', pathNot: '^src/charts/' },
      to: { path: '(^|node_modules/)(vega|vega-[a-z-]+|@resvg/[a-z-]+)(/|$)' },
    },
    {
      name: 'renderers-name-charts-without-drawing-them',
      severity: 'error',
      comment:
        'blocks/ and reports/ may name a stage chart and its file (charts/stage-series.ts, pure), but ' +
        'drawing one is I/O-free yet heavy (a layout engine and a rasteriser): the Slack side draws.',
      from: { path: '^src/(blocks|reports)/' },
      to: { path: '^src/charts/(png|index)\\.ts$' },
    },
    {
      name: 'src-never-imports-sandbox',
      severity: 'error',
      comment:
        'sandbox/ is the local world for `npm run sandbox` and the end-to-end tests; it is not shipped in ' +
        'the image, so the bot importing it would break in production.',
      from: { path: '^src/' },
      to: { path: '^sandbox/' },
    },
  ],
  options: {
    // Only the project's own modules are followed; a package is one node.
    doNotFollow: { path: 'node_modules' },
    // TypeScript 7 has no compiler API for dependency-cruiser to parse with; swc parses the sources and
    // keeps imports of types only, so they count too (a renderer importing a store type is a violation).
    parser: 'swc',
    // The code imports './x.ts' (Node strips types and runs the sources as they are): a specifier
    // names its file exactly, so resolution needs no extension guessing or tsconfig paths.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default', 'require'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
