"""One module per area of the web app; each exposes ``router`` and optionally ``NAV``.

The app factory includes every module here whose name does not start with an
underscore. Pages are routes with ``include_in_schema=False``; the JSON API
lives under ``/api/`` and is described by the OpenAPI document.
"""
