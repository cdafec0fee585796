"""The Django app: add "django_aerospike" to INSTALLED_APPS."""

from __future__ import annotations

from django.apps import AppConfig


class DjangoAerospikeConfig(AppConfig):
    """Register the system checks and the ``aerospike`` management command."""

    name = "django_aerospike"
    verbose_name = "Aerospike"

    def ready(self) -> None:
        # Importing the module registers the checks.
        from django_aerospike import checks  # noqa: F401
