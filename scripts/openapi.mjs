#!/usr/bin/env node
// The OpenAPI document and the typed client the web app generates from it.
//
//   npm run openapi                      writes test/client/openapi.json from the built app
//                                        (npm run build first; no database needed) and
//                                        regenerates test/client/generated from it
//   node scripts/openapi.mjs lint <doc>  prints Redocly's problems (recommended rules) as JSON
//   node scripts/openapi.mjs client <doc> <dir>
//                                        generates the client for <doc> into <dir>
//
// Everything runs offline and gives the same bytes for the same document.
import 'reflect-metadata';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DOCUMENT = resolve(root, 'test/client/openapi.json');
export const CLIENT_DIR = resolve(root, 'test/client/generated');

/** The document as the built app serves it, from its module graph alone (preview mode). */
async function documentFromBuild() {
  const { NestFactory } = await import('@nestjs/core');
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  const { AppModule } = await import(resolve(root, 'dist/src/app.module.js'));
  const { applyRoutePrefix } = await import(resolve(root, 'dist/src/app.setup.js'));
  const { loadConfig } = await import(resolve(root, 'dist/src/config/app-config.js'));
  const { createOpenApiDocument } = await import(
    resolve(root, 'dist/src/common/openapi/openapi-document.js')
  );
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' });
  // Preview mode resolves modules and controllers without creating providers: no database,
  // Redis or Stripe is touched.
  const app = await NestFactory.create(AppModule.forRoot(config), new FastifyAdapter(), {
    preview: true,
    logger: false,
  });
  applyRoutePrefix(app);
  const document = createOpenApiDocument(app);
  await app.close();
  return document;
}

export function serialise(document) {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Redocly's recommended rules; an empty list means a valid document without warnings. */
export async function lint(path) {
  const { lint: redoclyLint, createConfig } = await import('@redocly/openapi-core');
  const config = await createConfig({ extends: ['recommended'] });
  const problems = await redoclyLint({ ref: path, config });
  return problems.map((problem) => ({
    severity: problem.severity,
    rule: problem.ruleId,
    message: problem.message,
    where: problem.location.map((location) => location.pointer).join(' '),
  }));
}

export async function generateClient(documentPath, outDir) {
  const { createClient } = await import('@hey-api/openapi-ts');
  await rm(outDir, { recursive: true, force: true });
  await createClient({
    input: documentPath,
    output: { path: outDir, importFileExtension: '.js', postProcess: [], tsConfigPath: null },
    plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
    logs: { level: 'silent', file: false },
  });
}

async function main([command, ...args]) {
  if (command === 'lint') {
    process.stdout.write(`${JSON.stringify(await lint(resolve(args[0])), null, 2)}\n`);
  } else if (command === 'client') {
    await generateClient(resolve(args[0]), resolve(args[1]));
  } else if (command === undefined) {
    const document = await documentFromBuild();
    await mkdir(dirname(DOCUMENT), { recursive: true });
    await writeFile(DOCUMENT, serialise(document));
    await generateClient(DOCUMENT, CLIENT_DIR);
    const problems = await lint(DOCUMENT);
    for (const problem of problems)
      console.log(`${problem.severity} ${problem.rule}: ${problem.message} (${problem.where})`);
    console.log(`Wrote ${DOCUMENT} and ${CLIENT_DIR}`);
    if (problems.some((problem) => problem.severity === 'error')) process.exitCode = 1;
  } else {
    console.error('Usage: node scripts/openapi.mjs [lint <document> | client <document> <dir>]');
    process.exitCode = 2;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
