from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from .selectors import database_is_up


@login_not_required
@require_GET
def healthz(request):
    """Liveness for load balancers and container health checks: no login, no details."""
    ok = database_is_up()
    return JsonResponse({"status": "ok" if ok else "fail"}, status=200 if ok else 503)
