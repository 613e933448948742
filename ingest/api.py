"""POST /api/v1/posts: a JSON batch of up to 1,000 posts, one result per item."""

from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator
from rest_framework import status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .services import posts_import_batch

MAX_BATCH = 1000


class CanImport(BasePermission):
    message = "Importing needs the analyst or admin role."

    def has_permission(self, request, view):
        return request.user.has_perm("ingest.add_importjob")


# Token clients have no session: DRF authenticates them, not LoginRequiredMiddleware.
@method_decorator(login_not_required, name="dispatch")
class PostBatchView(APIView):
    permission_classes = [IsAuthenticated, CanImport]

    def post(self, request):
        items = request.data.get("posts") if isinstance(request.data, dict) else request.data
        if not isinstance(items, list) or not items:
            return Response(
                {"detail": 'Send a JSON list of posts (or {"posts": [...]}), at least one.'},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if len(items) > MAX_BATCH:
            return Response(
                {"detail": f"{len(items)} posts in one batch; the limit is {MAX_BATCH}."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        job, results = posts_import_batch(
            items=items, source=request.query_params.get("source", ""), user=request.user
        )
        counts = {
            "created": job.rows_created,
            "updated": job.rows_updated,
            "unchanged": job.rows_unchanged,
            "rejected": job.rows_rejected,
        }
        return Response({"job": job.pk, "counts": counts, "results": results})
