// Starts ReDoc on #redoc over the OpenAPI document named by its data-spec-url attribute.
// Kept out of the HTML so that the page's Content-Security-Policy needs no inline script.
(function () {
  "use strict";
  var el = document.getElementById("redoc");
  // ReDoc's default theme names web fonts (Montserrat, Roboto) that nothing here loads: name the
  // system's fonts instead so the page looks the same with or without internet.
  var sans = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  var mono = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace';
  Redoc.init(el.dataset.specUrl, {
    theme: {
      typography: {
        fontFamily: sans,
        headings: { fontFamily: sans },
        code: { fontFamily: mono }
      }
    }
  }, el);
})();
