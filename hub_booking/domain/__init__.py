"""Pure domain: plain functions over frozen dataclasses; no framework, ORM or clock imports."""
