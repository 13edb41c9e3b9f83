// Two pages, two bundles: the storefront (index.html) never loads the admin console's code.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    target: 'es2022',
    // Everything is served by the gateway under /assets/ (no CDN, no inline script: the CSP
    // allows scripts and styles from this origin only).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      output: {
        chunkFileNames: 'assets/shared-[hash].js',
        assetFileNames: (asset) => (asset.names.some((n) => n.endsWith('.css')) ? 'assets/style-[hash][extname]' : 'assets/[name]-[hash][extname]'),
      },
      input: {
        store: 'index.html',
        admin: 'admin/index.html',
      },
    },
  },
  server: {
    // `npm run dev`: the API is the gateway's (scripts/up.sh runs it on :3000).
    proxy: Object.fromEntries(
      ['/users', '/products', '/orders', '/inventory', '/notifications', '/webhooks', '/.well-known'].map(
        (path) => [path, 'http://127.0.0.1:3000'],
      ),
    ),
  },
});
