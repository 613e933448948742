import csv

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from . import formats
from .models import ImportJob
from .services import import_job_enqueue

ERRORS_SHOWN = 200
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A cell a spreadsheet would run as a formula is prefixed with a quote (OWASP CSV
    injection advice): the error report repeats untrusted input."""
    value = str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


class ImportUploadForm(forms.ModelForm):
    format = forms.ChoiceField(
        choices=[("", "from the file extension")] + [(f, f) for f in formats.ALL], required=False
    )
    file = forms.FileField(help_text="CSV, JSONL, or a ZIP holding one of them plus its images.")

    class Meta:
        model = ImportJob
        fields = ["file", "format", "source"]

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is None:
            return data
        if upload.size > settings.EMOGRAPH_IMPORT_MAX_UPLOAD_BYTES:
            limit = settings.EMOGRAPH_IMPORT_MAX_UPLOAD_BYTES // 1024**2
            raise forms.ValidationError(
                f"{upload.name} is larger than {limit} MB; use `manage.py import_posts` instead."
            )
        suffix = "." + upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        data["format"] = data.get("format") or formats.EXTENSIONS.get(suffix, "")
        if not data["format"]:
            raise forms.ValidationError(f"Cannot tell the format of {upload.name}; choose one.")
        if data["format"] in formats.PUBLIC and suffix == ".zip":
            raise forms.ValidationError("Public data sets are imported from their own files.")
        return data


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = [
        "id", "original_name", "format", "channel", "status", "progress",
        "rows_created", "rows_updated", "rows_unchanged", "rows_rejected", "created_at",
    ]  # fmt: skip
    list_filter = ["status", "channel", "format"]
    search_fields = ["original_name"]
    change_form_template = "admin/ingest/importjob/change_form.html"

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ImportUploadForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "original_name", "format", "source", "channel", "status", "progress", "error",
            "rows_total", "rows_created", "rows_updated", "rows_unchanged", "rows_rejected",
            "errors_download", "rejected_rows", "created_by", "created_at", "started_at",
            "finished_at",
        ]  # fmt: skip

    def get_fields(self, request, obj=None):
        return (
            ["file", "format", "source"] if obj is None else self.get_readonly_fields(request, obj)
        )

    def has_change_permission(self, request, obj=None):
        # A job is a record of what happened: uploaded once, then only watched.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.channel = ImportJob.Channel.ADMIN
            obj.created_by = request.user
            obj.format = form.cleaned_data["format"]
            obj.original_name = form.cleaned_data["file"].name[:255]
        super().save_model(request, obj, form, change)
        if not change:
            import_job_enqueue(job=obj)

    @admin.display(description="Progress")
    def progress(self, obj):
        return format_html(
            '<progress value="{}" max="100"></progress> {}%',
            obj.progress_percent,
            obj.progress_percent,
        )

    @admin.display(description="Rejected rows")
    def errors_download(self, obj):
        if not obj.rows_rejected:
            return "none"
        url = reverse("admin:ingest_importjob_errors", args=[obj.pk])
        return format_html('<a href="{}">Download all {} as CSV</a>', url, obj.rows_rejected)

    @admin.display(description=f"First {ERRORS_SHOWN} rejected rows")
    def rejected_rows(self, obj):
        errors = obj.row_errors.order_by("line", "id")[:ERRORS_SHOWN]
        if not errors:
            return "none"
        return format_html(
            "<table><tr><th>Line</th><th>Field</th><th>Reason</th></tr>{}</table>",
            format_html_join(
                "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((e.line, e.field, e.message) for e in errors),
            ),
        )  # fmt: skip

    def get_urls(self):
        errors = self.admin_site.admin_view(self.errors_csv)
        return [
            path("<int:pk>/errors.csv", errors, name="ingest_importjob_errors"),
            *super().get_urls(),
        ]

    def errors_csv(self, request, pk):
        job = get_object_or_404(ImportJob, pk=pk)
        if not self.has_view_permission(request, job):
            raise PermissionDenied

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())

        def rows():
            yield writer.writerow(["file", "line", "field", "message"])
            for e in job.row_errors.order_by("line", "id").iterator(chunk_size=2000):
                yield writer.writerow(
                    [spreadsheet_safe(v) for v in (e.file, e.line, e.field, e.message)]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-rejected.csv"'
        return response
