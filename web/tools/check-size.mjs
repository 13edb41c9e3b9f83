// The storefront's first load must stay under 150 KB of compressed JavaScript: the scripts and
// module preloads index.html names, gzipped, summed. Fails the build when over.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = join(import.meta.dirname, '..', 'dist');
const budget = 150 * 1024;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const scripts = [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\/([^"]+\.js)"/g)].map((m) => m[1]);
let total = 0;
for (const script of new Set(scripts)) total += gzipSync(readFileSync(join(dist, script)), { level: 9 }).length;
console.log(`storefront first load: ${(total / 1024).toFixed(1)} KB of gzipped JavaScript (${scripts.length} files; budget ${budget / 1024} KB)`);
if (scripts.length === 0 || total > budget) process.exit(1);
