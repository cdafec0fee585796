"""Example applications of aerospike_py, run with ``python -m example_apps``."""
