import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ADMIN_CONSOLE_HEADERS } from '../../common/http/security-headers.js';

/** Where the console is served; its client-side routes live under it too. */
export const ADMIN_CONSOLE_PATH = '/admin';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface ConsoleFile {
  body: Buffer;
  type: string;
  /** Vite names the files under assets/ by their content hash: they never change. */
  immutable: boolean;
}

/** The built console's files by URL path ('/admin/assets/index-3f2a.js'), read once. */
export type ConsoleFiles = ReadonlyMap<string, ConsoleFile>;

/** The repository's root (the folder of package.json), from this file in src/ or dist/src/. */
function projectRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error('package.json not found above the admin console code');
    folder = parent;
  }
  return folder;
}

/** What `npm run build` writes (vite.config.ts in admin/). */
export const defaultConsoleFolder = (): string => join(projectRoot(), 'dist', 'admin');

/**
 * Every file of the built console, read into memory at start: only these exact paths are ever
 * served, so no request path can reach a file outside the folder. Source maps stay on disk.
 */
export function readConsoleFiles(folder: string): ConsoleFiles {
  const files = new Map<string, ConsoleFile>();
  if (!existsSync(join(folder, 'index.html'))) return files;
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const type = TYPES[extname(entry.name)];
    if (!type) continue;
    const urlPath = `${ADMIN_CONSOLE_PATH}/${relative(folder, path).split(sep).join('/')}`;
    files.set(urlPath, {
      body: readFileSync(path),
      type,
      immutable: urlPath.startsWith(`${ADMIN_CONSOLE_PATH}/assets/`),
    });
  }
  return files;
}

/**
 * The answer to a path under /admin: the file itself; the console's page for any path that
 * names no file (/admin/users/<id> is a route of the console, resolved in the browser); and
 * nothing (so 404) for a file that is not there, such as an old asset's name.
 */
export function consoleFileFor(files: ConsoleFiles, path: string): ConsoleFile | undefined {
  const file = files.get(path);
  if (file) return file;
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (last.includes('.')) return undefined;
  return files.get(`${ADMIN_CONSOLE_PATH}/index.html`);
}

/**
 * Serves the admin console at /admin: static files with the console's own security headers
 * (a strict CSP of its own, in place of the API's `default-src 'none'`). The console signs in
 * and acts through the same API routes as any client; these routes hold no data.
 */
export function serveAdminConsole(
  fastify: FastifyInstance,
  logger: Logger,
  folder = defaultConsoleFolder(),
): void {
  const files = readConsoleFiles(folder);
  if (files.size === 0) {
    logger.warn({ folder }, 'The admin console is not built (npm run build): /admin answers 404');
  }
  const serve = (request: FastifyRequest, reply: FastifyReply) => {
    const file = consoleFileFor(files, request.url.split('?', 1)[0]);
    if (!file) return reply.callNotFound();
    return reply
      .headers(ADMIN_CONSOLE_HEADERS)
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(file.type)
      .send(file.body);
  };
  fastify.get(ADMIN_CONSOLE_PATH, serve);
  fastify.get(`${ADMIN_CONSOLE_PATH}/*`, serve);
}
