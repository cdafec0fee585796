"""Settings of the example Django site.

No SQL database: sessions and the cache live in Aerospike. The cluster is
``$AEROSPIKE_HOSTS`` (``python -m example_apps`` points it at the embedded
server it starts).
"""

import os

from example_apps import common

SECRET_KEY = common.SECRET_KEY
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "example_apps.django_site.urls"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
TIME_ZONE = "UTC"  # Django would otherwise set the process time zone

INSTALLED_APPS = [
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_aerospike",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
        "OPTIONS": {
            "context_processors": [
                # base.html shows the nav bar when request.session.user is set.
                "django.template.context_processors.request",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

AEROSPIKE = {"default": common.client_config(None)}
CACHES = {
    "default": {
        "BACKEND": "django_aerospike.cache.AerospikeCache",
        "LOCATION": "default",
        "TIMEOUT": common.REPORT_TTL,
        "KEY_PREFIX": "django",
        "OPTIONS": {"namespace": common.namespace(), "set": "django_cache"},
    }
}
SESSION_ENGINE = "django_aerospike.sessions"
AEROSPIKE_SESSIONS = {"namespace": common.namespace(), "set": "django_sessions"}
