import os

from piccolo.conf.apps import AppConfig

from hub_booking.db.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="hub_booking",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=list(TABLES),
    migration_dependencies=[],
    commands=[],
)
