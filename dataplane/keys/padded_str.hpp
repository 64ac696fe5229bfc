#pragma once
/// Fixed-layout str fields: a field of `size` bytes holds its value followed
/// by NUL padding, which is not part of the value. Shared by the decoder
/// (which slices such fields as keys) and the hash (xxh3_burst_fields and
/// slice_field_keys, which read them from the records).

#include <cstddef>
#include <cstdint>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace shardgate {

/// Fields up to this size are trimmed with one 16-byte load.
inline constexpr std::uint32_t short_padded_field_bytes = 16;

#if defined(__SSE2__)
/// Length of a str field of at most 16 bytes without its trailing NUL
/// padding; `mask` has one bit per byte of the field. One 16-byte load, a
/// compare and a bit scan, whatever the field's size: the caller guarantees
/// 16 readable bytes at `p` (a field lies in a record, and every record is
/// followed by more record bytes or by rx_padding).
inline std::uint32_t short_padded_length(const std::byte* p, std::uint32_t mask) noexcept {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto zero = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())));
    // One bit per byte of the field that is not NUL, moved up one place over
    // a bit that is always set: the highest set bit's index is the length,
    // 0 for an all-NUL field, found by a bare bsr. std::bit_width needs a
    // branch or a fix-up for zero and the subtraction from 32; per record
    // of the DPDK benchmark this is 3 instructions and a branch fewer, about
    // 1 % of the one-CPU layout (shardgate-dpdkbench --ab, B/A 1.012 over 4
    // runs).
    const std::uint32_t marks = ((~zero & mask) << 1) | 1;
    return static_cast<std::uint32_t>(__builtin_ia32_bsrsi(static_cast<int>(marks)));
}
#endif

/// Length of a fixed str field of `size` bytes without its trailing NUL
/// padding. Fields of at most 16 bytes are read 16 bytes wide (see above).
inline std::uint32_t padded_length(const std::byte* p, std::uint32_t size) noexcept {
#if defined(__SSE2__)
    if (size <= short_padded_field_bytes) return short_padded_length(p, (1u << size) - 1);
#endif
    while (size > 0 && p[size - 1] == std::byte{0}) --size;
    return size;
}

} // namespace shardgate
