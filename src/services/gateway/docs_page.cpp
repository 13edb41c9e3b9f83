// The gateway's /docs page: interactive API documentation read from /openapi.json in the browser.
// Hand-written, small and dependency-free (no CDN: the page must work on a closed network).
#include <string>
#include <string_view>

#include "platform/core/encoding.hpp"
#include "services/gateway/gateway.hpp"

namespace ordo::services::gateway {
namespace {

// What lies between the page's `<tag>` and `</tag>`: the text a CSP hash covers.
std::string_view inline_element(std::string_view page, std::string_view tag) {
  auto open = "<" + std::string(tag) + ">";
  auto start = page.find(open);
  auto end = page.find("</" + std::string(tag) + ">");
  if (start == std::string_view::npos || end == std::string_view::npos || end < start)
    return {};
  start += open.size();
  return page.substr(start, end - start);
}

std::string csp_hash(std::string_view text) {
  return "'sha256-" + core::base64_encode(core::sha256(text)) + "'";
}

}  // namespace

std::string_view docs_page() {
  return R"ordo_html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Ordo API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 980px; padding: 1rem; color: #222; }
  h1 { margin-bottom: .2rem; } .muted { color: #666; }
  details { border: 1px solid #ddd; border-radius: 6px; margin: .4rem 0; padding: .3rem .6rem; }
  summary { cursor: pointer; } code { background: #f4f4f4; padding: 0 .25rem; border-radius: 3px; }
  .m { display: inline-block; min-width: 4.5rem; font-weight: 600; }
  .get { color: #1565c0; } .post { color: #2e7d32; } .patch, .put { color: #ef6c00; } .delete { color: #c62828; }
  textarea, input { width: 100%; box-sizing: border-box; font: 13px monospace; }
  pre { background: #f7f7f7; padding: .5rem; overflow: auto; max-height: 320px; }
  button { margin-top: .3rem; }
</style>
</head>
<body>
<h1>Ordo API</h1>
<p class="muted">Read from <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors are
<code>application/problem+json</code>. Paste an access token to call protected routes.</p>
<label>Bearer token <input id="token" placeholder="access_token from POST /users/login"></label>
<div id="ops">Loading…</div>
<script>
const esc = s => String(s).replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
async function call(method, path, form) {
  let url = path;
  for (const input of form.querySelectorAll('input[data-path]')) url = url.replace('{' + input.dataset.path + '}', encodeURIComponent(input.value));
  const query = new URLSearchParams();
  for (const input of form.querySelectorAll('input[data-query]')) if (input.value) query.set(input.dataset.query, input.value);
  if ([...query].length) url += '?' + query;
  const headers = {};
  const token = document.getElementById('token').value.trim();
  if (token) headers['Authorization'] = 'Bearer ' + token;
  const body = form.querySelector('textarea');
  const init = { method, headers };
  if (body && body.value.trim()) { headers['Content-Type'] = 'application/json'; init.body = body.value; }
  const out = form.querySelector('pre');
  try {
    const response = await fetch(url, init);
    const text = await response.text();
    let shown = text; try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
    out.textContent = response.status + ' ' + response.statusText + '\n' + shown;
  } catch (e) { out.textContent = String(e); }
}
fetch('/openapi.json').then(r => r.json()).then(doc => {
  const ops = document.getElementById('ops'); ops.innerHTML = '';
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const d = document.createElement('details');
      const params = (op.parameters || []).filter(p => p.in !== 'header');
      d.innerHTML = '<summary><span class="m ' + method + '">' + method.toUpperCase() + '</span> <code>' + esc(path) + '</code> ' +
        esc(op.summary || '') + (op.security && op.security.length ? ' 🔒' : '') + '</summary><form>' +
        params.map(p => '<label>' + esc(p.name) + ' (' + p.in + ')<input data-' + p.in + '="' + esc(p.name) + '"></label>').join('') +
        (op.requestBody ? '<label>body<textarea rows="5">{}</textarea></label>' : '') +
        '<button type="submit">Send</button><pre></pre></form>';
      d.querySelector('form').addEventListener('submit', ev => { ev.preventDefault(); call(method.toUpperCase(), path, ev.target); });
      ops.appendChild(d);
    }
  }
}).catch(e => { document.getElementById('ops').textContent = 'Could not load /openapi.json: ' + e; });
</script>
</body>
</html>
)ordo_html";
}

const std::string& docs_page_security_policy() {
  // By hash rather than 'unsafe-inline': an injected script or style would not match. The page
  // fetches /openapi.json and calls the API on its own origin, and nothing else.
  static const std::string policy =
      "default-src 'none'; script-src " + csp_hash(inline_element(docs_page(), "script")) +
      "; style-src " + csp_hash(inline_element(docs_page(), "style")) +
      "; connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; "
      "frame-ancestors 'none'";
  return policy;
}

}  // namespace ordo::services::gateway
