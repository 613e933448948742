import pytest

from emograph.ops.models import WorkerHeartbeat
from emograph.ops.tasks import worker_heartbeat

from ..test_layout import is_stdlib_platform


@pytest.mark.django_db
def test_heartbeat_task_records_itself_in_eager_mode():
    worker_heartbeat.delay()
    heartbeat = WorkerHeartbeat.objects.get()
    assert heartbeat.queue == "eager"
    assert is_stdlib_platform(heartbeat.platform_module)
