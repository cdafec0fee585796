"""Partition filters: run a query or scan over some partitions only.

Split a scan among workers, or resume one, by giving each a range of the
4096 partitions::

    policy = {"partition_filter": aerospike_py.partition_filter_by_range(0, 1024)}
"""

from __future__ import annotations

from aerospike_py.exception import InvalidArgError
from aerospike_py.wire.digest import N_PARTITIONS


class PartitionFilter:
    """A contiguous range of partition ids: ``begin`` to ``begin + count``."""

    __slots__ = ("begin", "count")

    def __init__(self, begin: int, count: int) -> None:
        self.begin = begin
        self.count = count

    def partition_ids(self) -> range:
        return range(self.begin, self.begin + self.count)

    def __repr__(self) -> str:
        return f"PartitionFilter(begin={self.begin}, count={self.count})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartitionFilter) and (other.begin, other.count) == (
            self.begin,
            self.count,
        )

    def __hash__(self) -> int:
        return hash((self.begin, self.count))


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgError(f"{name} must be an int, not {type(value).__name__}")
    return value


def partition_filter_all() -> PartitionFilter:
    """Select all 4096 partitions."""
    return PartitionFilter(0, N_PARTITIONS)


def partition_filter_by_id(partition_id: int) -> PartitionFilter:
    """Select one partition (0-4095)."""
    pid = _check_int("partition_id", partition_id)
    if not 0 <= pid < N_PARTITIONS:
        raise InvalidArgError(f"partition id {pid} is outside 0..{N_PARTITIONS - 1}")
    return PartitionFilter(pid, 1)


def partition_filter_by_range(begin: int, count: int) -> PartitionFilter:
    """Select ``count`` partitions starting at ``begin``."""
    begin = _check_int("begin", begin)
    count = _check_int("count", count)
    if begin < 0 or count < 0 or begin + count > N_PARTITIONS:
        raise InvalidArgError(
            f"partition range begin={begin} count={count} must lie within "
            f"0..{N_PARTITIONS}"
        )
    return PartitionFilter(begin, count)
