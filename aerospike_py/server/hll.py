"""HyperLogLog bins: op types 15 (HLL_READ) and 16 (HLL_MODIFY).

An op carries the msgpack list ``[op_code, args...]`` (PROTOCOL.md 10.2).
Rules, layout and estimators are the real server's
(as/src/base/particle_hll.c), so that an HLL value moves between this
server and a real one unchanged. The value is a HyperMinHash sketch::

    u8  flags            always 0
    u8  n_index_bits     4-16: 2**n_index_bits registers
    u8  n_minhash_bits   0, or 4-51
    u64 cache            the last refreshed count (0 = none), host order:
                         little-endian on the servers Aerospike ships
    registers            one (6 + n_minhash_bits)-bit register each,
                         packed most significant bit first, padded to
                         whole bytes

An element is hashed with MurmurHash3 x64-128 (seed 0) over its msgpack
encoding in the shortest form (``msgpack_compactify``): a string's bytes
include the msgpack header and the particle-type byte. The low
n_index_bits of the first hash word pick the register; the next
n_minhash_bits are the minhash; one plus the trailing zeros of the second
word is the HLL value.

:func:`hll_read` and :func:`hll_modify` take the bin value and the decoded
payload, so that expressions reuse them.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aerospike_py.server import errors, ops
from aerospike_py.server.errors import Failure
from aerospike_py.wire import message as msg
from aerospike_py.wire import packer
from aerospike_py.wire.packer import Unpacker, UnpackError
from aerospike_py.wire.values import HLL

# Result codes errors.py has no name for (as/include/base/proto.h).
ERR_BIN_EXISTS = 6
ERR_BIN_NOT_FOUND = 17

# Op codes (as_hll_op_type in proto.h).
INIT = 0
ADD = 1
SET_UNION = 2
REFRESH_COUNT = 3
FOLD = 4
COUNT = 50
GET_UNION = 51
UNION_COUNT = 52
INTERSECT_COUNT = 53
SIMILARITY = 54
DESCRIBE = 55
MAY_CONTAIN = 56

# Write flags (as_hll_flags).
CREATE_ONLY = 1
UPDATE_ONLY = 2
NO_FAIL = 4
ALLOW_FOLD = 8

HLL_BITS = 6
MIN_INDEX_BITS = 4
MAX_INDEX_BITS = 16
MIN_MINHASH_BITS = 4
MAX_MINHASH_BITS = 64 - HLL_BITS - 7
MAX_INDEX_AND_MINHASH_BITS = 64
UNSET = 0xFF  # a bit count the op leaves to the bin (-1 on the wire)

_HEADER = struct.Struct("<BBBQ")  # flags, index bits, minhash bits, cache
UINT64_MASK = (1 << 64) - 1


# -- the sketch ---------------------------------------------------------------


def registers_size(index_bits: int, minhash_bits: int) -> int:
    return ((HLL_BITS + minhash_bits) * (1 << index_bits) + 7) // 8


def required_size(index_bits: int, minhash_bits: int) -> int:
    return _HEADER.size + registers_size(index_bits, minhash_bits)


def valid_index_bits(n: int) -> bool:
    return MIN_INDEX_BITS <= n <= MAX_INDEX_BITS


def valid_minhash_bits(n: int) -> bool:
    return n == 0 or MIN_MINHASH_BITS <= n <= MAX_MINHASH_BITS


def valid_bits(index_bits: int, minhash_bits: int) -> bool:
    return (
        valid_index_bits(index_bits)
        and valid_minhash_bits(minhash_bits)
        and index_bits + minhash_bits <= MAX_INDEX_AND_MINHASH_BITS
    )


class Sketch:
    """An HLL value with its registers unpacked into a list."""

    __slots__ = ("cache", "index_bits", "minhash_bits", "registers")

    def __init__(
        self,
        index_bits: int,
        minhash_bits: int,
        registers: list[int] | None = None,
        cache: int = 0,
    ) -> None:
        self.index_bits = index_bits
        self.minhash_bits = minhash_bits
        self.registers = registers or [0] * (1 << index_bits)
        self.cache = cache

    @property
    def register_bits(self) -> int:
        return HLL_BITS + self.minhash_bits

    @classmethod
    def from_bytes(cls, data: bytes) -> Sketch:
        """Unpack a value whose header and size were already checked."""
        _, index_bits, minhash_bits, cache = _HEADER.unpack_from(data)
        width = HLL_BITS + minhash_bits
        count = 1 << index_bits
        packed = data[_HEADER.size :]
        total = int.from_bytes(packed, "big") >> (len(packed) * 8 - width * count)
        text = format(total, f"0{width * count}b")
        registers = [int(text[i : i + width], 2) for i in range(0, len(text), width)]
        return cls(index_bits, minhash_bits, registers, cache)

    def to_bytes(self) -> HLL:
        width = self.register_bits
        text = "".join(format(value, f"0{width}b") for value in self.registers)
        size = registers_size(self.index_bits, self.minhash_bits)
        packed = (int(text, 2) << (size * 8 - len(text))).to_bytes(size, "big")
        header = _HEADER.pack(0, self.index_bits, self.minhash_bits, self.cache)
        return HLL(header + packed)

    def hll_value(self, register: int) -> int:
        return self.registers[register] >> self.minhash_bits

    def has_data(self) -> bool:
        # The server looks at the first 2**n_index_bits bytes of the
        # registers only (hmh_has_data); it is called with minhash bits set,
        # where those bytes cover 6 / (6 + minhash bits) of the registers.
        packed = self.to_bytes()[_HEADER.size :]
        return any(packed[: len(self.registers)])


def _murmur3_x64_128(data: bytes) -> tuple[int, int]:
    """MurmurHash3 x64-128 with seed 0 (cf_hash_math.h): the two words."""
    c1, c2, m = 0x87C37B91114253D5, 0x4CF5AD432745937F, UINT64_MASK
    h1 = h2 = 0
    blocks = len(data) // 16
    for k1, k2 in struct.iter_unpack("<QQ", data[: blocks * 16]):
        h1 ^= _rotl((k1 * c1) & m, 31) * c2 & m
        h1 = (_rotl(h1, 27) + h2) * 5 + 0x52DCE729 & m
        h2 ^= _rotl((k2 * c2) & m, 33) * c1 & m
        h2 = (_rotl(h2, 31) + h1) * 5 + 0x38495AB5 & m
    tail = data[blocks * 16 :]
    if len(tail) > 8:
        h2 ^= _rotl(int.from_bytes(tail[8:], "little") * c2 & m, 33) * c1 & m
    if tail:
        h1 ^= _rotl(int.from_bytes(tail[:8], "little") * c1 & m, 31) * c2 & m
    h1 ^= len(data)
    h2 ^= len(data)
    h1 = (h1 + h2) & m
    h2 = (h2 + h1) & m
    h1, h2 = _fmix64(h1), _fmix64(h2)
    h1 = (h1 + h2) & m
    h2 = (h2 + h1) & m
    return h1, h2


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & UINT64_MASK


def _fmix64(k: int) -> int:
    k ^= k >> 33
    k = k * 0xFF51AFD7ED558CCD & UINT64_MASK
    k ^= k >> 33
    k = k * 0xC4CEB9FE1A85EC53 & UINT64_MASK
    return k ^ (k >> 33)


def _hash(sketch: Sketch, element: bytes) -> tuple[int, int]:
    """``hmh_hash``: the register an element lands in and its value there."""
    h1, h2 = _murmur3_x64_128(element)
    register = h1 & ((1 << sketch.index_bits) - 1)
    minhash = (h1 >> sketch.index_bits) & ((1 << sketch.minhash_bits) - 1)
    trailing = (h2 & -h2).bit_length() - 1 if h2 else 64
    hll_value = (trailing + 1) & 0xFF
    return register, (hll_value << sketch.minhash_bits) | minhash


def _add(sketch: Sketch, element: bytes) -> bool:
    register, value = _hash(sketch, element)
    if sketch.registers[register] >= value:
        return False
    # A register keeps only its low bits (set_register), as on the server.
    sketch.registers[register] = value & ((1 << sketch.register_bits) - 1)
    sketch.cache = 0
    return True


def _may_contain(sketch: Sketch, element: bytes) -> bool:
    register, value = _hash(sketch, element)
    return value <= sketch.registers[register]


# -- estimators (hmh_* in particle_hll.c) -------------------------------------


def _llround(value: float) -> int:
    """C ``llround``: to the nearest integer, halves away from zero."""
    whole = math.floor(value)
    return whole + 1 if value - whole >= 0.5 else whole


def _sigma(value: float) -> float:
    if value == 1.0:
        return math.inf
    y = 1.0
    z = value
    while True:
        value *= value
        previous = z
        z += value * y
        y += y
        if previous == z:
            return z


_FIXED_ALPHA = {4: 0.673, 5: 0.697, 6: 0.709}


def _alpha(index_bits: int) -> float:
    if index_bits in _FIXED_ALPHA:
        return _FIXED_ALPHA[index_bits]
    return 0.7213 / (1.0 + 1.079 / (1 << index_bits))


def estimate(sketch: Sketch) -> int:
    """The cardinality estimate (Ertl 2017, algorithm 6), or the cache."""
    if sketch.cache:
        return sketch.cache
    m = len(sketch.registers)
    counts = [0] * (1 << HLL_BITS)
    for register in range(m):
        counts[sketch.hll_value(register)] += 1
    # Registers hold 6 bits, so none reaches q + 1 = 64: the tau term of
    # the algorithm is always 0.
    z = 0.0
    for k in range(len(counts) - 1, 0, -1):
        z = 0.5 * (z + counts[k])
    z += m * _sigma(counts[0] / m)
    return _llround(_alpha(sketch.index_bits) * m * m / z)


def _template(sketches: Sequence[Sketch]) -> Sketch:
    """``hmh_compatible_template``: the layout every input fits into."""
    index_bits = min(s.index_bits for s in sketches)
    minhash_bits = sketches[0].minhash_bits
    if any(s.minhash_bits != minhash_bits for s in sketches):
        minhash_bits = 0
    return Sketch(index_bits, minhash_bits)


def _union_into(union: Sketch, other: Sketch) -> None:
    """``hmh_union``; ``union`` has no more index bits than ``other``."""
    mask = len(union.registers) - 1
    full = union.minhash_bits != 0
    for register, value in enumerate(other.registers):
        if not full:
            value >>= other.minhash_bits
        target = register & mask
        if union.registers[target] < value:
            union.registers[target] = value
    union.cache = 0


def union_of(sketches: Sequence[Sketch]) -> Sketch:
    union = _template(sketches)
    for sketch in sketches:
        _union_into(union, sketch)
    return union


def _intersect_into(result: Sketch, other: Sketch) -> None:
    """``hmh_intersect_one``: keep the registers both agree on."""
    mask = len(result.registers) - 1
    for register, value in enumerate(other.registers):
        target = register & mask
        if result.registers[target] != value:
            result.registers[target] = 0


def _used_registers(sketch: Sketch) -> int:
    return sum(1 for value in sketch.registers if value)


def _collisions(template: Sketch, card0: int, card1: int) -> float:
    """``hmh_jaccard_estimate_collisions``: expected chance agreements."""
    m = len(template.registers)
    buckets = 1 << HLL_BITS
    cp = 0.0
    for i in range(1, buckets + 1):
        b1 = 0.0 if i == buckets else math.pow(2, -i)
        b2 = math.pow(2, -i + 1)
        b1 /= m
        b2 /= m
        pr_x = math.pow(1 - b1, card0) - math.pow(1 - b2, card0)
        pr_y = math.pow(1 - b1, card1) - math.pow(1 - b2, card1)
        cp += pr_x * pr_y
    return cp * m / math.pow(2, template.minhash_bits)


def similarity(sketches: Sequence[Sketch]) -> float:
    """``hmh_estimate_similarity``: the Jaccard index estimate (may be nan)."""
    template = _template(sketches)
    if template.minhash_bits == 0:
        return _hll_similarity(sketches)
    with_data = [s.has_data() for s in sketches]
    if not all(with_data):
        return 0.0 if any(with_data) else math.nan
    n_union = _used_registers(union_of(sketches))
    common = _template(sketches)
    _union_into(common, sketches[0])
    for sketch in sketches[1:]:
        _intersect_into(common, sketch)
    n_intersect = _used_registers(common)
    chance = 0.0
    if len(sketches) == 2:
        cards = estimate(sketches[0]), estimate(sketches[1])
        chance = _collisions(template, *cards)
    return max((n_intersect - chance) / n_union, 0.0)


def intersect_count(sketches: Sequence[Sketch]) -> int:
    """``hmh_estimate_intersect_cardinality``."""
    if _template(sketches).minhash_bits == 0:
        return _hll_intersect_count(sketches)
    jaccard = similarity(sketches)
    if math.isnan(jaccard):
        return 0
    return _llround(estimate(union_of(sketches)) * jaccard)


def _hll_intersect_count(sketches: Sequence[Sketch]) -> int:
    """Inclusion-exclusion over two or three plain HLLs."""
    union = estimate(union_of(sketches))
    total = sum(estimate(s) for s in sketches)
    if len(sketches) == 2:
        return max(total - union, 0)
    first, second, third = sketches
    pairs = (
        intersect_count((first, second))
        + intersect_count((second, third))
        + intersect_count((first, third))
    )
    return max(union - (total - pairs), 0)


def _hll_similarity(sketches: Sequence[Sketch]) -> float:
    common = _hll_intersect_count(sketches)
    union = estimate(union_of(sketches))
    if union == 0:
        return math.nan if common == 0 else math.inf
    return common / union


# -- parsed arguments (hll_parse_* in particle_hll.c) -------------------------


class HLLOp:
    """The parsed arguments of one HLL op (``hll_op`` in the server)."""

    __slots__ = ("elements", "flags", "index_bits", "minhash_bits", "sketches")

    def __init__(self) -> None:
        self.elements: list[bytes] = []
        self.sketches: list[Sketch] = []
        self.index_bits = UNSET
        self.minhash_bits = UNSET
        self.flags = 0


Parser = Callable[["OpDef", HLLOp, Any], None]


def _bad(spec: OpDef, why: str) -> Failure:
    return Failure(errors.ERR_PARAMETER, f"{spec.name}: {why}")


def _int(spec: OpDef, arg: Any, what: str) -> int:
    if type(arg) is not int:
        raise _bad(spec, f"{what} must be an integer, not {type(arg).__name__}")
    return arg


def _parse_index_bits(spec: OpDef, op: HLLOp, arg: Any) -> None:
    bits = _int(spec, arg, "index bit count")
    if bits != -1 and not valid_index_bits(bits):
        raise _bad(spec, f"index bit count {bits} is not within 4-16")
    op.index_bits = bits & 0xFF


def _parse_minhash_bits(spec: OpDef, op: HLLOp, arg: Any) -> None:
    bits = _int(spec, arg, "minhash bit count")
    if bits == -1:
        op.minhash_bits = UNSET
        return
    if not valid_minhash_bits(bits):
        raise _bad(spec, f"minhash bit count {bits} is not 0 or within 4-51")
    if op.index_bits != UNSET and not valid_bits(op.index_bits, bits):
        raise _bad(spec, "index and minhash bit counts add up to more than 64")
    op.minhash_bits = bits


def _parse_flags(spec: OpDef, op: HLLOp, arg: Any) -> None:
    flags = _int(spec, arg, "flags") & UINT64_MASK
    if flags & ~spec.allowed_flags:
        raise _bad(spec, f"flags 0x{flags:x} are not allowed")
    if flags & CREATE_ONLY and flags & UPDATE_ONLY:
        raise _bad(spec, "CREATE_ONLY and UPDATE_ONLY exclude each other")
    op.flags = flags


def element_bytes(element: Any) -> bytes:
    """The bytes the server hashes for an element: its compact msgpack."""
    if type(element) is int and element > packer.INT64_MAX:
        return b"\xcf" + element.to_bytes(8, "big")  # as_pack_uint64
    return packer.pack(element)


def _parse_elements(spec: OpDef, op: HLLOp, arg: Any) -> None:
    if not isinstance(arg, (list, tuple)) or not arg:
        raise _bad(spec, "the values must be a non-empty list")
    for element in arg:
        if isinstance(element, (list, tuple, dict)):
            raise _bad(spec, "a value to add may not be a list or a map")
        try:
            op.elements.append(element_bytes(element))
        except packer.PackError as exc:
            raise _bad(spec, f"value {element!r:.40} cannot be hashed") from exc


def _parse_sketch(spec: OpDef, arg: Any) -> Sketch:
    if isinstance(arg, str):
        arg = arg.encode()  # the server skips the type byte of any string
    if not isinstance(arg, (bytes, bytearray)) or len(arg) < _HEADER.size:
        raise _bad(spec, "an HLL value is too short")
    flags, index_bits, minhash_bits, _ = _HEADER.unpack_from(arg)
    if flags != 0:
        raise _bad(spec, f"an HLL value has unknown flags 0x{flags:x}")
    if not valid_index_bits(index_bits) or not valid_minhash_bits(minhash_bits):
        raise _bad(spec, f"an HLL value has bit counts ({index_bits}, {minhash_bits})")
    if len(arg) != required_size(index_bits, minhash_bits):
        raise _bad(spec, f"an HLL value has {len(arg)} bytes, not the size it needs")
    return Sketch.from_bytes(bytes(arg))


def _parse_hlls(spec: OpDef, op: HLLOp, arg: Any) -> None:
    # A single HLL may come bare instead of in a list (hll_parse_hlls).
    values = arg if isinstance(arg, (list, tuple)) else [arg]
    if not values:
        raise _bad(spec, "the HLL list is empty")
    op.sketches = [_parse_sketch(spec, value) for value in values]


def _parse_hlls_intersect(spec: OpDef, op: HLLOp, arg: Any) -> None:
    _parse_hlls(spec, op, arg)
    if len(op.sketches) <= 2:
        return
    minhash_bits = {s.minhash_bits for s in op.sketches}
    if len(minhash_bits) != 1:
        raise _bad(spec, "more than 2 HLLs need equal minhash bit counts")
    if 0 in minhash_bits:
        raise _bad(spec, "more than 2 HLLs need minhash bits")


# -- modify ops ---------------------------------------------------------------

# A modify op gets the parsed op and the bin's sketch (None when missing)
# and returns its result (None for no result) and the new sketch.
Modifier = Callable[[HLLOp, "Sketch | None"], tuple[Any, Sketch]]


def _inapplicable(why: str) -> Failure:
    return Failure(errors.ERR_OP_NOT_APPLICABLE, why)


def _init(op: HLLOp, old: Sketch | None) -> tuple[Any, Sketch]:
    if old is None:
        if op.index_bits == UNSET:
            raise _inapplicable("hll_init: creating needs an index bit count")
        minhash_bits = 0 if op.minhash_bits == UNSET else op.minhash_bits
        return None, Sketch(op.index_bits, minhash_bits)
    index_bits = old.index_bits if op.index_bits == UNSET else op.index_bits
    minhash = old.minhash_bits if op.minhash_bits == UNSET else op.minhash_bits
    if not valid_bits(index_bits, minhash):
        raise _inapplicable(f"hll_init: bit counts ({index_bits}, {minhash})")
    return None, Sketch(index_bits, minhash)


def _add_elements(op: HLLOp, old: Sketch | None) -> tuple[Any, Sketch]:
    if old is None:
        if op.index_bits == UNSET:
            raise _inapplicable("hll_add: creating needs an index bit count")
        minhash_bits = 0 if op.minhash_bits == UNSET else op.minhash_bits
        sketch = Sketch(op.index_bits, minhash_bits)
    else:
        # An existing bin keeps its bit counts, whatever the op asks for.
        sketch = Sketch(old.index_bits, old.minhash_bits, list(old.registers))
        sketch.cache = old.cache
    added = sum(1 for element in op.elements if _add(sketch, element))
    return added, sketch


def _set_union(op: HLLOp, old: Sketch | None) -> tuple[Any, Sketch]:
    if old is not None and not op.flags & ALLOW_FOLD:
        given = _template(op.sketches)
        if old.index_bits > given.index_bits:
            raise _inapplicable("hll_set_union: would reduce the index bits")
        if old.minhash_bits not in (0, given.minhash_bits):
            raise _inapplicable("hll_set_union: would drop the minhash bits")
    sketches = op.sketches if old is None else [*op.sketches, old]
    return None, union_of(sketches)


def _refresh_count(op: HLLOp, old: Sketch | None) -> tuple[Any, Sketch]:
    if old is None:
        raise Failure(ERR_BIN_NOT_FOUND, "hll_refresh_count: bin not found")
    sketch = Sketch(old.index_bits, old.minhash_bits, old.registers, old.cache)
    sketch.cache = estimate(sketch)
    return sketch.cache, sketch


def _fold(op: HLLOp, old: Sketch | None) -> tuple[Any, Sketch]:
    if old is None:
        raise Failure(ERR_BIN_NOT_FOUND, "hll_fold: bin not found")
    if old.minhash_bits:
        raise _inapplicable("hll_fold: cannot fold an HLL with minhash bits")
    if old.index_bits < op.index_bits:
        raise _inapplicable(f"hll_fold: the bin has fewer than {op.index_bits}")
    if old.index_bits == op.index_bits:
        return None, old
    folded = Sketch(op.index_bits, 0)
    _union_into(folded, old)
    return None, folded


# -- read ops -----------------------------------------------------------------

Reader = Callable[[HLLOp, Sketch], Any]


def _count(op: HLLOp, sketch: Sketch) -> int:
    return estimate(sketch)


def _get_union(op: HLLOp, sketch: Sketch) -> HLL:
    return union_of([*op.sketches, sketch]).to_bytes()


def _union_count(op: HLLOp, sketch: Sketch) -> int:
    return estimate(union_of([*op.sketches, sketch]))


def _check_intersect(op: HLLOp, sketch: Sketch) -> None:
    """``hll_read_prepare_intersect``: more than 2 HLLs need minhash bits."""
    if len(op.sketches) > 2 and (
        sketch.minhash_bits == 0 or sketch.minhash_bits != op.sketches[0].minhash_bits
    ):
        raise _inapplicable("more than 2 HLLs need the bin's minhash bit count")


def _intersect_count(op: HLLOp, sketch: Sketch) -> int:
    _check_intersect(op, sketch)
    return intersect_count([*op.sketches, sketch])


def _similarity(op: HLLOp, sketch: Sketch) -> float:
    _check_intersect(op, sketch)
    return similarity([*op.sketches, sketch])


def _describe(op: HLLOp, sketch: Sketch) -> list[int]:
    return [sketch.index_bits, sketch.minhash_bits]


def _may_contain_all(op: HLLOp, sketch: Sketch) -> int:
    return int(all(_may_contain(sketch, element) for element in op.elements))


# -- the op tables ------------------------------------------------------------


class OpDef:
    """What every op code has: a name, its argument parsers, its flags."""

    __slots__ = ("allowed_flags", "max_args", "min_args", "name", "parsers")

    def __init__(
        self,
        name: str,
        allowed_flags: int,
        min_args: int,
        parsers: Sequence[Parser],
    ) -> None:
        self.name = name
        self.allowed_flags = allowed_flags
        self.min_args = min_args
        self.max_args = len(parsers)
        self.parsers = parsers


class ModifyDef(OpDef):
    __slots__ = ("modify",)

    def __init__(
        self,
        name: str,
        modify: Modifier,
        allowed_flags: int,
        min_args: int,
        parsers: Sequence[Parser],
    ) -> None:
        super().__init__(name, allowed_flags, min_args, parsers)
        self.modify = modify


class ReadDef(OpDef):
    __slots__ = ("read",)

    def __init__(self, name: str, read: Reader, parsers: Sequence[Parser]) -> None:
        super().__init__(name, 0, len(parsers), parsers)
        self.read = read


_BITS = (_parse_index_bits, _parse_minhash_bits, _parse_flags)

MODIFY_OPS: dict[int, ModifyDef] = {
    INIT: ModifyDef("hll_init", _init, CREATE_ONLY | UPDATE_ONLY | NO_FAIL, 0, _BITS),
    ADD: ModifyDef(
        "hll_add", _add_elements, CREATE_ONLY | NO_FAIL, 1, (_parse_elements, *_BITS)
    ),
    SET_UNION: ModifyDef(
        "hll_set_union",
        _set_union,
        CREATE_ONLY | UPDATE_ONLY | ALLOW_FOLD | NO_FAIL,
        1,
        (_parse_hlls, _parse_flags),
    ),
    REFRESH_COUNT: ModifyDef("hll_refresh_count", _refresh_count, 0, 0, ()),
    FOLD: ModifyDef("hll_fold", _fold, 0, 1, (_parse_index_bits,)),
}

READ_OPS: dict[int, ReadDef] = {
    COUNT: ReadDef("hll_get_count", _count, ()),
    GET_UNION: ReadDef("hll_get_union", _get_union, (_parse_hlls,)),
    UNION_COUNT: ReadDef("hll_get_union_count", _union_count, (_parse_hlls,)),
    INTERSECT_COUNT: ReadDef(
        "hll_get_intersect_count", _intersect_count, (_parse_hlls_intersect,)
    ),
    SIMILARITY: ReadDef("hll_get_similarity", _similarity, (_parse_hlls_intersect,)),
    DESCRIBE: ReadDef("hll_describe", _describe, ()),
    MAY_CONTAIN: ReadDef("hll_may_contain", _may_contain_all, (_parse_elements,)),
}

Def = TypeVar("Def", bound=OpDef)


def _lookup(payload: Any, table: dict[int, Def]) -> tuple[Def, Sequence[Any]]:
    """``hll_state_init``: the op definition and its arguments."""
    if not isinstance(payload, (list, tuple)) or not payload:
        raise Failure(errors.ERR_PARAMETER, "HLL op payload must be [op, args...]")
    code = payload[0]
    spec = table.get(code) if type(code) is int else None
    if spec is None:
        kind = "modify" if table is MODIFY_OPS else "read"
        raise Failure(errors.ERR_PARAMETER, f"{code!r} is not an HLL {kind} op")
    return spec, payload[1:]


def _parse(spec: OpDef, args: Sequence[Any]) -> HLLOp:
    if not spec.min_args <= len(args) <= spec.max_args:
        raise _bad(spec, f"takes {spec.min_args}-{spec.max_args} arguments")
    op = HLLOp()
    for parser, arg in zip(spec.parsers, args, strict=False):
        parser(spec, op, arg)
    return op


def _sketch_of(value: Any) -> Sketch:
    """``hll_verify_bin``: 12 for another type, 1 for a corrupt HLL."""
    if not isinstance(value, HLL):
        raise Failure(errors.ERR_INCOMPATIBLE_TYPE, "the bin is not an HLL")
    if len(value) < _HEADER.size:
        raise Failure(errors.ERR_UNKNOWN, "the bin holds a truncated HLL")
    flags, index_bits, minhash_bits, _ = _HEADER.unpack_from(value)
    if (
        flags != 0
        or not valid_bits(index_bits, minhash_bits)
        or len(value) != required_size(index_bits, minhash_bits)
    ):
        raise Failure(errors.ERR_UNKNOWN, "the bin holds a corrupt HLL")
    return Sketch.from_bytes(bytes(value))


# -- entry points -------------------------------------------------------------


def hll_modify(value: Any, payload: Any) -> tuple[Any, Any]:
    """Apply an HLL modify op to a bin value; return (result, new value).

    ``value`` is the bin's value (an HLL, or None when the bin is missing);
    the result is None for ops that yield none (all but ADD and
    REFRESH_COUNT). Raises Failure with the server's result code.
    """
    spec, args = _lookup(payload, MODIFY_OPS)
    old = None if value is None else _sketch_of(value)
    op = _parse(spec, args)
    if old is not None and op.flags & CREATE_ONLY:
        if op.flags & NO_FAIL:
            return None, value
        raise Failure(ERR_BIN_EXISTS, f"{spec.name}: the bin exists")
    if old is None and op.flags & UPDATE_ONLY:
        if op.flags & NO_FAIL:
            return None, value
        raise Failure(ERR_BIN_NOT_FOUND, f"{spec.name}: the bin is missing")
    result, sketch = spec.modify(op, old)
    return result, sketch.to_bytes()


def hll_read(value: Any, payload: Any) -> Any:
    """Return the result of an HLL read op on a bin value (None if missing).

    Raises Failure with the server's result code.
    """
    if value is None:
        return None
    spec, args = _lookup(payload, READ_OPS)
    sketch = _sketch_of(value)
    return spec.read(_parse(spec, args), sketch)


# -- op handlers --------------------------------------------------------------


def _payload(op: msg.Op) -> Any:
    try:
        return Unpacker(op.value).unpack()
    except (UnpackError, ValueError) as exc:
        raise Failure(errors.ERR_PARAMETER, f"bad HLL op payload: {exc}") from None


def _read_handler(ctx: ops.OpContext, op: msg.Op) -> Any:
    result = hll_read(ctx.bins.get(op.name), _payload(op))
    return ops.NO_RESULT if result is None else result


def _modify_handler(ctx: ops.OpContext, op: msg.Op) -> Any:
    result, new = hll_modify(ctx.bins.get(op.name), _payload(op))
    if new is None:
        ctx.bins.pop(op.name, None)
    else:
        ctx.bins[op.name] = new
    return ops.NO_RESULT if result is None else result


ops.register(msg.OP_HLL_READ, _read_handler, modify=False)
ops.register(msg.OP_HLL_MODIFY, _modify_handler, modify=True)
