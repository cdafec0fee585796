"""Settings of the test project.

The tests point AEROSPIKE at their embedded server and give each test sets
of its own; ``DJANGO_AEROSPIKE_HOSTS`` does the same for a ``manage.py`` run
in a subprocess.
"""

import os

SECRET_KEY = "django-aerospike-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
ROOT_URLCONF = "aerospike_testproject.urls"
DATABASES: dict[str, dict[str, str]] = {}

INSTALLED_APPS = [
    "django.contrib.sessions",
    "django_aerospike",
]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]

AEROSPIKE = {
    "default": {
        "hosts": os.environ.get("DJANGO_AEROSPIKE_HOSTS", "127.0.0.1:3000").split(",")
    }
}
CACHES = {
    "default": {
        "BACKEND": "django_aerospike.cache.AerospikeCache",
        "LOCATION": "default",
        "OPTIONS": {"namespace": "test", "set": "django_cache"},
    },
}
SESSION_ENGINE = "django_aerospike.sessions"
AEROSPIKE_SESSIONS = {"namespace": "test", "set": "django_sessions"}
