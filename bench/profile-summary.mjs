// node bench/profile-summary.mjs <file.cpuprofile | directory> [top]: where a V8 CPU profile's
// time went, by package (node_modules package, the app's own code, Node's core, native and
// the collector) and by function (self time), as percentages of the profile. Used with
// BENCH_PROFILE=<dir>, which makes each server of a bench run write one when it stops.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [target = '.', topArg = '30'] = process.argv.slice(2);
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

const selfTime = new Map();
profile.samples.forEach((node, index) =>
  selfTime.set(node, (selfTime.get(node) ?? 0) + (profile.timeDeltas[index] ?? 0)),
);

function packageOf({ url, functionName }) {
  if (url.includes('node_modules/')) {
    const parts = url.split('node_modules/').at(-1).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.includes('/dist/')) return 'the API (dist/)';
  if (url.startsWith('node:')) return 'Node core (JS)';
  return functionName.startsWith('(') ? functionName : 'native';
}

const byPackage = new Map();
const byFunction = new Map();
let total = 0;
for (const node of profile.nodes) {
  const time = selfTime.get(node.id) ?? 0;
  if (!time) continue;
  total += time;
  const frame = node.callFrame;
  const where = frame.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/');
  const name = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
  byPackage.set(packageOf(frame), (byPackage.get(packageOf(frame)) ?? 0) + time);
  byFunction.set(name, (byFunction.get(name) ?? 0) + time);
}

const percent = (time) => `${((100 * time) / total).toFixed(1)}%`;
const table = (map, top) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, time]) => `| ${percent(time)} | ${name} |`);
console.log(`${file}: ${(total / 1000).toFixed(0)} ms of samples\n`);
console.log(['| self time | package |', '|---:|---|', ...table(byPackage, 20)].join('\n'));
console.log();
console.log(
  ['| self time | function |', '|---:|---|', ...table(byFunction, Number(topArg))].join('\n'),
);
