import pytest

from budgetpay.testing.servers import free_port

pytestmark = pytest.mark.django_db


def redis_layer(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_timeout": 2, "socket_connect_timeout": 1}]},
        }
    }


def test_health_is_200_when_database_and_channel_layer_answer(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "channel_layer": "ok"},
        # Reported, not part of the status: no job engine in the test process, no sweep yet.
        "jobs": {"engine": "off", "sweeper": "never ran", "sweeper_last_run": None},
    }


@pytest.mark.services
def test_health_round_trips_through_redis(client, settings, redis_url):
    settings.CHANNEL_LAYERS = redis_layer(redis_url)
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["checks"]["channel_layer"] == "ok"


def test_health_is_503_naming_the_channel_layer_when_redis_is_down(client, settings):
    settings.CHANNEL_LAYERS = redis_layer(f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["channel_layer"].startswith("error: ")
