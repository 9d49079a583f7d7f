"""Teachers by name: ``@register("rules")`` on a factory, ``get("rules", **options)``."""
from __future__ import annotations

from llava_ros.registry import Registry

TEACHERS: Registry = Registry("teacher")
register = TEACHERS.register
get = TEACHERS.create
names = TEACHERS.names
