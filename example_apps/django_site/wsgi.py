"""The WSGI application of the example site."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_apps.django_site.settings")
application = get_wsgi_application()
