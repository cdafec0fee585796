"""The cluster model without I/O: hosts, peers and partition maps.

The I/O layers feed it info replies; it answers which nodes exist and which
node owns each partition of each namespace.
"""
