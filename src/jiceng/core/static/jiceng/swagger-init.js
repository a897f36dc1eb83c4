// Starts Swagger UI on /api/v1/docs with the settings django-ninja renders as JSON.
(function () {
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  var token = document.body.dataset.csrfToken;
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis];
  config.requestInterceptor = function (req) {
    if (token) { req.headers["X-CSRFToken"] = token; }
    return req;
  };
  window.ui = SwaggerUIBundle(config);
})();
