"""The server's internal failure: a result code to send back."""

from __future__ import annotations

# Result codes the embedded server sends (server: as/include/base/proto.h).
OK = 0
ERR_UNKNOWN = 1
ERR_NOT_FOUND = 2
ERR_GENERATION = 3
ERR_PARAMETER = 4
ERR_RECORD_EXISTS = 5
ERR_TIMEOUT = 9
ERR_INCOMPATIBLE_TYPE = 12
ERR_RECORD_TOO_BIG = 13
ERR_QUERY_ABORT = 15
ERR_UNSUPPORTED_FEATURE = 16
ERR_KEY_MISMATCH = 19
ERR_NAMESPACE = 20
ERR_BIN_NAME = 21
ERR_FORBIDDEN = 22
ERR_ELEMENT_NOT_FOUND = 23
ERR_ELEMENT_EXISTS = 24
ERR_ENTERPRISE_ONLY = 25
ERR_OP_NOT_APPLICABLE = 26
ERR_FILTERED_OUT = 27
ERR_UDF_EXECUTION = 100
ERR_BATCH_MAX_REQUESTS = 151
ERR_GEO_INVALID_GEOJSON = 160
ERR_SINDEX_FOUND = 200
ERR_SINDEX_NOT_FOUND = 201

# No record can be bigger than this, whatever a namespace allows (the real
# server's largest write-block-size): a value past it is refused as soon as
# an op would build it, not after the op has built it.
MAX_RECORD_BYTES = 8 * 1024 * 1024


def too_big(what: str, size: int) -> Failure:
    return Failure(
        ERR_RECORD_TOO_BIG,
        f"{what} of {size} bytes cannot fit any record ({MAX_RECORD_BYTES} max)",
    )


class Failure(Exception):
    """Abort the current command and answer with ``code``."""

    def __init__(self, code: int, detail: str = "") -> None:
        super().__init__(f"result {code}: {detail}" if detail else f"result {code}")
        self.code = code
        self.detail = detail
