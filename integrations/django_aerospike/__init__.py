"""Django integration of aerospike_py: cache backend, session engine, admin commands."""
