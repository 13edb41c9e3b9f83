// Lighthouse (mobile defaults: simulated slow 4G and a mid-range phone's CPU) on the storefront's
// home and product pages, with Debian's Chromium, against a fresh `ordo serve` with a seeded
// catalog. Writes the scores into docs/web.md (between the lighthouse markers) and fails when one
// is under its bar: accessibility 95, best practices 95, performance 90.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { chromiumPath, repoDir, skipUnlessReady, startOrdo } from '../tests/harness.mjs';
import { seed } from './seed.mjs';

skipUnlessReady();
const bars = { performance: 90, accessibility: 95, 'best-practices': 95 };
const categories = [...Object.keys(bars), 'seo'];

const ordo = await startOrdo({ 'notifications.webhook_allow_private': 'true' });
const chrome = await chromeLauncher.launch({
  chromePath: chromiumPath,
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const rows = [];
let failed = false;
try {
  const { products } = await seed(ordo.origin);
  const pages = { home: `${ordo.origin}/`, product: `${ordo.origin}/#/products/${products[0].id}` };
  for (const [name, url] of Object.entries(pages)) {
    const result = await lighthouse(url, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: categories });
    const scores = Object.fromEntries(categories.map((c) => [c, Math.round((result.lhr.categories[c]?.score ?? 0) * 100)]));
    for (const [category, bar] of Object.entries(bars)) {
      if (scores[category] < bar) {
        failed = true;
        const audits = Object.values(result.lhr.audits).filter((a) => a.score !== null && a.score < 0.9 && result.lhr.categories[category].auditRefs.some((r) => r.id === a.id && r.weight > 0));
        console.error(`${name}: ${category} ${scores[category]} < ${bar}: ${audits.map((a) => a.id).join(', ')}`);
      }
    }
    rows.push(`| ${name} | ${scores.performance} | ${scores.accessibility} | ${scores['best-practices']} | ${scores.seo} |`);
    console.log(name, scores);
  }
} finally {
  await chrome.kill();
  await ordo.stop();
}

const docs = join(repoDir, 'docs/web.md');
const text = readFileSync(docs, 'utf8');
const table = [
  '<!-- lighthouse:begin -->',
  `Measured ${new Date().toISOString().slice(0, 10)} by \`scripts/lighthouse.sh\` (Lighthouse ${lighthouseVersion()}, mobile defaults, Chromium ${chromiumVersion()}):`,
  '',
  '| page | performance | accessibility | best practices | SEO |',
  '|---|---|---|---|---|',
  ...rows,
  '<!-- lighthouse:end -->',
].join('\n');
writeFileSync(docs, text.replace(/<!-- lighthouse:begin -->[\s\S]*<!-- lighthouse:end -->/, table));
process.exit(failed ? 1 : 0);

function lighthouseVersion() {
  return JSON.parse(readFileSync(join(repoDir, 'web/node_modules/lighthouse/package.json'), 'utf8')).version;
}

function chromiumVersion() {
  try {
    return execFileSync(chromiumPath, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).match(/[\d.]+/)?.[0] ?? '';
  } catch {
    return '';
  }
}
