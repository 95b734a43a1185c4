"""The boxoffice Piccolo app: tables and the top-level `migrations/` folder."""

import os

from piccolo.conf.apps import AppConfig

from models.booking import (
    ApiKey,
    AppUser,
    Booking,
    Notification,
    Payment,
    Reservation,
    ShowCancellation,
    ShowSeat,
    Ticket,
)
from models.catalog import (
    Cinema,
    CinemaHall,
    CinemaSeat,
    City,
    Movie,
    PostalCode,
    SeatCategory,
    Show,
    ShowPrice,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

APP_CONFIG = AppConfig(
    app_name="boxoffice",
    migrations_folder_path=os.path.join(ROOT, "migrations"),
    table_classes=[
        City,
        PostalCode,
        Cinema,
        CinemaHall,
        SeatCategory,
        CinemaSeat,
        Movie,
        Show,
        ShowPrice,
        AppUser,
        ApiKey,
        Reservation,
        ShowSeat,
        Payment,
        Booking,
        Ticket,
        Notification,
        ShowCancellation,
    ],
    migration_dependencies=[],
    commands=[],
)
