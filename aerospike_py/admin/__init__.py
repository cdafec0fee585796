"""Framework-free admin commands: ``python -m aerospike_py.admin``."""
