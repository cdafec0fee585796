"""Flask integration of aerospike_py: extension, cache, sessions, CLI."""
