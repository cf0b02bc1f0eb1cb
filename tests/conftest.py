"""Shared fixtures: ``device`` runs a test body on the CPU and, where CuPy sees a GPU, on CUDA too."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "2")

import pytest  # noqa: E402
from hypothesis import settings, HealthCheck  # noqa: E402

settings.register_profile("ember", deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.filter_too_much])
settings.load_profile("ember")


def _devices():
    devs = ["cpu"]
    try:
        import ember
        if ember.cuda.is_available():
            devs.append("cuda")
    except Exception:
        pass
    return devs


@pytest.fixture(params=_devices())
def device(request):
    return request.param


@pytest.fixture(autouse=True)
def _restore_ember_globals():
    """Tests that change the default dtype or grad mode cannot leak into the next test."""
    import ember
    dt = ember.get_default_dtype()
    yield
    ember.set_default_dtype(dt)
    ember._config.grad_enabled[0] = True
    ember._config.anomaly_enabled[0] = False
