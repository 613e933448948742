from django.contrib import admin
from django.utils.html import format_html

from emograph.emotions.models import EmotionPrediction

from .models import Author, Post, PostImage, PostTopic, Source, Topic


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["handle", "external_id", "source", "is_pseudonymised", "created_at"]
    list_filter = ["source", "is_pseudonymised"]
    search_fields = ["handle", "external_id"]
    list_select_related = ["source"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["slug", "name"]


class PostImageInline(admin.TabularInline):
    model = PostImage
    extra = 0
    fields = ["preview", "original_name", "sha256", "width", "height"]
    readonly_fields = fields

    @admin.display(description="Thumbnail")
    def preview(self, obj):
        return image_preview(obj)


class PostTopicInline(admin.TabularInline):
    model = PostTopic
    extra = 0
    raw_id_fields = ["topic"]
    readonly_fields = ["post_created_at"]


class EmotionPredictionInline(admin.TabularInline):
    model = EmotionPrediction
    extra = 0
    fields = ["stage", "label", "confidence", "model_name", "model_version", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["external_id", "source", "author", "short_text", "language", "created_at"]
    list_filter = ["source", "language", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["external_id", "text", "author__handle"]
    date_hierarchy = "created_at"
    raw_id_fields = ["author", "parent", "thread_root", "import_job"]
    list_select_related = ["source", "author"]
    readonly_fields = ["ingested_at", "updated_at"]
    inlines = [PostTopicInline, PostImageInline, EmotionPredictionInline]
    show_full_result_count = False  # COUNT(*) over millions of posts on every page is slow

    @admin.display(description="Text")
    def short_text(self, obj):
        return obj.text[:80] + ("…" if len(obj.text) > 80 else "")


@admin.register(PostImage)
class PostImageAdmin(admin.ModelAdmin):
    list_display = ["preview", "post", "original_name", "width", "height", "sha256"]
    search_fields = ["sha256", "original_name", "post__external_id"]
    raw_id_fields = ["post"]
    readonly_fields = ["preview", "sha256", "width", "height"]

    @admin.display(description="Thumbnail")
    def preview(self, obj):
        return image_preview(obj)


def image_preview(image):
    picture = image.thumbnail or image.file
    if not picture:
        return "-"
    return format_html('<img src="{}" alt="" style="max-height:64px">', picture.url)
