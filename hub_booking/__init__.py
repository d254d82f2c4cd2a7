"""hub-booking: shared rooms and equipment for Morocco's regional competency hubs."""

from hub_booking import zones as _zones  # noqa: F401  (pins zone data before anything loads a zone)
