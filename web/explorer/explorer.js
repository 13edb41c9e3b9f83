// The /docs explorer: Swagger UI (vendored from swagger-ui-dist by tools/vendor-explorer.mjs) on
// the gateway's own /openapi.json. A file of its own, not an inline script: the page's CSP allows
// scripts from this origin only. "Try it out" calls this same origin (the document's server is
// "/"); a token given under "Authorize" lives in this tab only.
window.addEventListener('DOMContentLoaded', () => {
  window.ordoExplorer = window.SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#explorer',
    deepLinking: true,
    displayOperationId: true,
    displayRequestDuration: true,
    filter: true,
    showExtensions: false,
    showCommonExtensions: true,
    defaultModelsExpandDepth: 1,
    defaultModelExpandDepth: 2,
    persistAuthorization: false,
    // No call to the public validator badge service: the page works on a closed network.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
