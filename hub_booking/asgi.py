"""ASGI entry point: ``uvicorn hub_booking.asgi:app`` (settings from the environment)."""

from hub_booking.app import create_app
from hub_booking.settings import Settings

app = create_app(Settings.from_env())
