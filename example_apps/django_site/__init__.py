"""The example library in Django: the cache backend, the session engine and
``manage.py aerospike``.

    python -m example_apps.django_site.manage runserver
    python -m example_apps.django_site.manage aerospike nodes
"""
