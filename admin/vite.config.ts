import { defineConfig } from 'vite';

// Built by `npm run build` into dist/admin, which the API serves at /admin (see
// src/modules/admin-console/admin-console.ts and docs/ADMIN_CONSOLE.md).
export default defineConfig({
  root: import.meta.dirname,
  base: '/admin/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: '../dist/admin',
    emptyOutDir: true,
    target: 'es2022',
    // No inline assets: the console's CSP allows files from its own origin only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
