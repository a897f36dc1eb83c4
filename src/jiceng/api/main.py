"""The REST API at /api/v1/: one NinjaAPI, one router per app, one error format."""

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from jiceng.api.auth import SessionAuth, TokenAuth
from jiceng.api.docs import LocalSwagger
from jiceng.api.errors import install_error_handlers


class ReadableJSONRenderer(JSONRenderer):
    """JSON with Chinese kept as UTF-8 text rather than \\u escapes (easier with curl)."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="jiceng API",
    version="1",
    description="优质服务基层行 platform. Authenticate with a session cookie or "
    "`Authorization: Bearer <token>`. Every answer is limited to the caller's part of "
    "the organisation tree.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs=LocalSwagger(),
    renderer=ReadableJSONRenderer(),
)
install_error_handlers(api)


def _add_routers() -> None:
    from jiceng.accounts.api import router as accounts_router
    from jiceng.aggregates.api import router as datavalues_router
    from jiceng.appraisal.api import router as appraisal_router
    from jiceng.assessments.api import router as evaluation_router
    from jiceng.core.api import router as audit_router
    from jiceng.indicators.api import router as indicators_router
    from jiceng.insights.api import router as insights_router
    from jiceng.maps.api import router as maps_router
    from jiceng.orgs.api import router as orgs_router
    from jiceng.rectification.api import router as rectification_router
    from jiceng.reports.api import router as reports_router
    from jiceng.standards.api import router as standards_router
    from jiceng.surveys.api import router as surveys_router

    api.add_router("/", accounts_router)
    api.add_router("/orgs", orgs_router)
    api.add_router("/", audit_router)
    api.add_router("/indicators", indicators_router)
    api.add_router("/rectification", rectification_router)
    api.add_router("/standards", standards_router)
    api.add_router("/evaluation", evaluation_router)
    api.add_router("/datavalues", datavalues_router)
    api.add_router("/maps", maps_router)
    api.add_router("/appraisal", appraisal_router)
    api.add_router("/reports", reports_router)
    api.add_router("/insights", insights_router)
    api.add_router("/surveys", surveys_router)


_add_routers()
