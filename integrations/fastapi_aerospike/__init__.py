"""FastAPI integration of aerospike_py: lifespan, dependencies, caching, sessions."""
