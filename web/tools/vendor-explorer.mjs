// Puts the /docs explorer into dist/docs: Swagger UI's prebuilt bundle and stylesheet (the
// swagger-ui-dist package, pinned in package.json and the lockfile, with its licence), and the
// page, start script and styles of explorer/. The gateway serves dist/docs/index.html at /docs
// (its built-in page when this is absent) and the rest at /docs/<file>.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const web = join(import.meta.dirname, '..');
const target = join(web, 'dist', 'docs');
const swaggerUi = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
mkdirSync(target, { recursive: true });
for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE', 'NOTICE']) {
  copyFileSync(join(swaggerUi, file), join(target, file === 'LICENSE' || file === 'NOTICE' ? `swagger-ui-${file}.txt` : file));
}
for (const file of readdirSync(join(web, 'explorer'))) copyFileSync(join(web, 'explorer', file), join(target, file));
console.log(`explorer: ${target}`);
