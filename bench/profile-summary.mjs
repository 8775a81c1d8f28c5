// node bench/profile-summary.mjs <file.cpuprofile | directory> [top]: where a V8 CPU profile's
// time went while the server answered requests (from its first request on, idle time left
// out): by layer of the request pipeline (a sample counts for a layer when one of the layer's
// frames is on its stack), by package and by function (self time), and the API's own
// functions with what they call. Used with BENCH_PROFILE=<dir> or BENCH_ONLY=profile, which
// make each server of a bench run write one when it stops.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [target = '.', topArg = '30'] = process.argv.slice(2);
const top = Number(topArg);
const file = statSync(target).isDirectory()
  ? join(
      target,
      readdirSync(target)
        .filter((name) => name.endsWith('.cpuprofile'))
        .sort()
        .at(-1) ?? '',
    )
  : target;
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodeById = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parent.set(child, node.id);

function* stack(id) {
  for (let at = id; at !== undefined; at = parent.get(at)) yield nodeById.get(at).callFrame;
}

/** Layers of a request, each named by the frames that belong to it (url part, function name). */
const LAYERS = [
  [
    'socket writes (kernel, loopback)',
    (f) =>
      f.functionName === 'writev' ||
      f.functionName === 'writeUtf8String' ||
      f.functionName === 'writeLatin1String',
  ],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  [
    'JWT verification (passport-jwt, jsonwebtoken)',
    (f) => f.url.includes('node_modules/passport-jwt/'),
  ],
  [
    'body validation (ValidationPipe: class-transformer, class-validator)',
    (f) => f.url.includes('@nestjs/common/pipes/validation.pipe'),
  ],
  [
    'rate limit (@nestjs/throttler guard and its store)',
    (f) => f.url.includes('@nestjs/throttler/'),
  ],
  [
    'logging (pino: the request line, Fastify request loggers)',
    (f) => f.url.includes('node_modules/pino/') || f.url.includes('@pinojs/'),
  ],
  ['metrics (prom-client)', (f) => f.url.includes('node_modules/prom-client/')],
  [
    'Redis client',
    (f) => f.url.includes('node_modules/@redis/') || f.url.includes('node_modules/@keyv/'),
  ],
  [
    'PostgreSQL client (pg, TypeORM)',
    (f) => f.url.includes('node_modules/pg') || f.url.includes('node_modules/typeorm/'),
  ],
  [
    'Nest metadata reads (Reflector, reflect-metadata)',
    (f) => f.url.includes('reflect-metadata/') || f.url.includes('@nestjs/core/services/reflector'),
  ],
  [
    'response serialisation (JSON)',
    (f) => f.functionName === 'serialize' && f.url.includes('fastify/lib/reply'),
  ],
];

function packageOf({ url, functionName }) {
  if (url.includes('node_modules/')) {
    const parts = url.split('node_modules/').at(-1).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.includes('/dist/')) return 'the API (dist/)';
  if (url.startsWith('node:')) return 'Node core (JS)';
  return functionName.startsWith('(') ? functionName : 'native';
}

const frameName = (f) =>
  `${f.functionName || '(anonymous)'} ${f.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/')}:${f.lineNumber + 1}`;

// From the first sample taken while answering a request: start-up is not the request's cost.
const first = profile.samples.findIndex((id) =>
  [...stack(id)].some((frame) => frame.functionName === 'parserOnIncoming'),
);
const byLayer = new Map(LAYERS.map(([name]) => [name, 0]));
const byPackage = new Map();
const byFunction = new Map();
const inclusive = new Map();
const add = (map, key, time) => map.set(key, (map.get(key) ?? 0) + time);
let total = 0;
for (let index = Math.max(first, 0); index < profile.samples.length; index++) {
  const id = profile.samples[index];
  const time = profile.timeDeltas[index] ?? 0;
  const self = nodeById.get(id).callFrame;
  if (self.functionName === '(idle)') continue;
  total += time;
  add(byPackage, packageOf(self), time);
  add(byFunction, frameName(self), time);
  const frames = [...stack(id)];
  for (const [name, belongs] of LAYERS) if (frames.some(belongs)) add(byLayer, name, time);
  const seen = new Set();
  for (const frame of frames) {
    if (!frame.url.includes('/dist/src/') || frame.url.includes('node_modules/')) continue;
    const name = frameName(frame);
    if (!seen.has(name)) add(inclusive, name, time);
    seen.add(name);
  }
}

const percent = (time) => `${((100 * time) / total).toFixed(1)}%`;
const table = (heading, map, count) =>
  [
    heading,
    '|---:|---|',
    ...[...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, time]) => `| ${percent(time)} | ${name} |`),
  ].join('\n');
console.log(`${file}: ${(total / 1000).toFixed(0)} ms busy while answering requests\n`);
console.log(table('| share | layer |', byLayer, LAYERS.length));
console.log();
console.log(table('| self time | package |', byPackage, 20));
console.log();
console.log(table('| self time | function |', byFunction, top));
console.log();
console.log(table('| inclusive | function of the API (with its callees) |', inclusive, top));
