// Lint: typescript-eslint's recommended rules, plus the layer check (import-x/no-restricted-paths).
// The layers and what each may import are drawn in docs/DEVELOPING.md; the zones below are that picture.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const CAPABILITIES = ['agent', 'collector', 'grafana', 'lab'];
const GROUND = ['lib', 'schema', 'proto'];

/** `from` may not be imported by files in `target`. Paths are folders at the repository root. */
const zone = (target, from, message) => ({ target: `./${target}`, from: `./${from}`, message });

const LAYER_ZONES = [
  // Ground floor imports nothing above it.
  ...GROUND.flatMap((g) => [...CAPABILITIES, 'cli'].map((up) => zone(g, up, `${g}/ is the ground floor: it imports no ${up}/ (see docs/DEVELOPING.md)`))),
  // Capabilities never import the command line.
  ...CAPABILITIES.map((c) => zone(c, 'cli', `${c}/ must not import cli/: move what it needs to lib/ (see docs/DEVELOPING.md)`)),
  // The two ends of the wire share only the ground floor (schema/, proto/, lib/).
  zone('agent', 'collector', 'agent/ must not import collector/: share it through lib/ or schema/'),
  zone('collector', 'agent', 'collector/ must not import agent/: share it through lib/ or schema/'),
  // Dashboards are built from the schema alone.
  zone('grafana', 'agent', 'grafana/ builds from schema/ and lib/, not agent/'),
  zone('grafana', 'collector', 'grafana/ builds from schema/ and lib/, not collector/'),
  // lab/ drives an agent and a collector, so it may import both; nothing below it imports lab/.
  ...['agent', 'collector', 'grafana'].map((c) => zone(c, 'lab', `${c}/ must not import lab/ (lab drives the capabilities, not the other way)`)),
  // Production code never reaches into tests or benchmarks (tests and benchmarks may import anything).
  ...[...GROUND, ...CAPABILITIES, 'cli'].flatMap((t) => [zone(t, 'test', `${t}/ must not import test/`), zone(t, 'bench', `${t}/ must not import bench/`)]),
];

// Floors inside collector/ (docs/DEVELOPING.md): InfluxDB access (influx/), the store and the listener contract at
// the bottom; the calculators (overhead/, changes/, facts/, health/) above them; the read side (report/) above those;
// the server (server/) and the composition root (index.ts and what only it uses) on top. Arrows point down only.
const C = (...paths) => paths.map((p) => `./collector/${p}`);
const COLLECTOR_BOTTOM = C('influx', 'store', 'listener.ts');
const CALCULATORS = C('overhead', 'changes', 'facts', 'health');
const READ_SIDE = C('report');
const ROOT = C('index.ts', 'config.ts', 'pipeline.ts', 'owed.ts', 'owed-markers.ts', 'stack.ts');
const SERVER = C('server');
const floor = (target, from, what) => ({
  target,
  from,
  message: `${what} sits below what it imports here: collector/ arrows point down (see docs/DEVELOPING.md)`,
});
const COLLECTOR_FLOORS = [
  floor(COLLECTOR_BOTTOM, [...CALCULATORS, ...READ_SIDE, ...SERVER, ...ROOT], "the collector's InfluxDB access, store and listener contract"),
  floor(CALCULATORS, [...READ_SIDE, ...SERVER, ...ROOT], 'a calculator'),
  floor(READ_SIDE, [...SERVER, ...ROOT], 'the report'),
  floor(SERVER, ROOT, 'the gRPC server'),
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'proto/gen/', 'test/artifacts/', '.data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.test.json' })],
      // no-cycle follows imports by parsing the imported files: it needs to know .ts files are TypeScript.
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: [...LAYER_ZONES, ...COLLECTOR_FLOORS] }],
      'import-x/no-cycle': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Deliberate: parsers and validators reject control characters in untrusted text.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests sit above every layer (they may import anything) and read loosely typed JSON (dashboards, query results).
    files: ['**/*.test.ts', 'test/**', 'bench/**'],
    rules: { 'import-x/no-restricted-paths': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: Object.fromEntries(
        ['process', 'console', 'URL', 'Buffer', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate'].map((g) => [g, 'readonly']),
      ),
    },
  },
);
