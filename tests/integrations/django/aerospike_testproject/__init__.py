"""A small Django project that the django_aerospike tests run in."""
