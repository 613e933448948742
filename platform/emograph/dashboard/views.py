from django.shortcuts import render

from emograph.ops.selectors import worker_list

from .selectors import content_emotion_mix, overview_counts, recent_import_jobs


def home(request):
    return render(
        request,
        "dashboard/home.html",
        {
            "counts": overview_counts(),
            "mix": content_emotion_mix(),
            "jobs": recent_import_jobs(),
            "workers": worker_list(),
        },
    )
