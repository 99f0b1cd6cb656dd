// Starts Swagger UI on #swagger-ui over the OpenAPI document named by its data-spec-url attribute.
// Kept out of the HTML so that the page's Content-Security-Policy needs no inline script.
(function () {
  "use strict";
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: el.dataset.specUrl,
    domNode: el,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout",
    // The default validator badge would send the document to an online validator.
    validatorUrl: null,
    // Ignore ?url= and ?configUrl= in the address: the page shows this server's document only.
    queryConfigEnabled: false
  });
})();
