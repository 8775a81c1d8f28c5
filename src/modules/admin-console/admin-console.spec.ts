import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleFileFor, readConsoleFiles, type ConsoleFiles } from './admin-console.js';

describe('admin console files', () => {
  let root: string;
  let files: ConsoleFiles;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'console-files-'));
    const built = join(root, 'admin');
    mkdirSync(join(built, 'assets'), { recursive: true });
    writeFileSync(join(built, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(built, 'assets', 'index-abc.js'), 'export {};');
    writeFileSync(join(built, 'assets', 'index-abc.js.map'), '{}');
    writeFileSync(join(root, 'secret.txt'), 'outside the built folder');
    files = readConsoleFiles(built);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('holds exactly the built files it can serve, under /admin', () => {
    expect([...files.keys()].sort()).toEqual(['/admin/assets/index-abc.js', '/admin/index.html']);
    expect(files.get('/admin/assets/index-abc.js')).toMatchObject({
      type: 'text/javascript; charset=utf-8',
      immutable: true,
    });
    expect(files.get('/admin/index.html')).toMatchObject({ immutable: false });
  });

  it("answers the console's page for client routes and nothing for a missing file", () => {
    const index = files.get('/admin/index.html');
    for (const path of ['/admin', '/admin/', '/admin/users', '/admin/users/6b1f0c1e-1234']) {
      expect([path, consoleFileFor(files, path)]).toEqual([path, index]);
    }
    for (const path of [
      '/admin/assets/index-old.js',
      '/admin/assets/index-abc.js.map',
      '/admin/../secret.txt',
      '/admin/%2e%2e/secret.txt',
      '/admin/favicon.ico',
    ]) {
      expect([path, consoleFileFor(files, path)]).toEqual([path, undefined]);
    }
  });

  it('serves nothing when the console is not built', () => {
    const empty = readConsoleFiles(join(root, 'missing'));
    expect(empty.size).toBe(0);
    expect(consoleFileFor(empty, '/admin/users')).toBeUndefined();
  });
});
