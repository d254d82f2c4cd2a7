"""Piccolo configuration: the engine follows ``settings.database_url``.

``DB`` starts from the environment (for the ``piccolo`` command); the app and the tests
call :func:`hub_booking.db.engine.use_database`, which swaps it for their own settings.
"""

from piccolo.conf.apps import AppRegistry

from hub_booking.db.engine import make_engine
from hub_booking.settings import database_url_from_env

DB = make_engine(database_url_from_env(), pooled=False)

APP_REGISTRY = AppRegistry(apps=["hub_booking.db.piccolo_app"])
