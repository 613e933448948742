from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.celery import refuse_start_unless
from emograph.propagation.tasks import _check_graph_model_at_start


def worker(*queues):
    return SimpleNamespace(
        app=SimpleNamespace(amqp=SimpleNamespace(queues=SimpleNamespace(consume_from=queues)))
    )


def broken():
    raise ImproperlyConfigured("head x.pt: no such file")


def test_a_worker_not_on_the_queue_skips_the_check():
    refuse_start_unless(worker("default"), broken)


def test_a_gpu_worker_with_broken_settings_exits_with_the_reason():
    with pytest.raises(SystemExit, match=r"worker not started: head x\.pt: no such file"):
        refuse_start_unless(worker("default", "gpu"), broken)


def test_a_gpu_worker_without_the_graph_model_refuses_to_start(settings, tmp_path):
    settings.EMOGRAPH_GRAPH_MODEL = tmp_path / "gone.pt"
    with pytest.raises(SystemExit, match=r"graph model .*gone\.pt: no such file"):
        _check_graph_model_at_start(None, worker("gpu"))
