#pragma once
/// Routing key expressions compiled for a record format and evaluated per
/// record on the dataplane: a small stack machine over typed values, with no
/// allocation, exception or virtual call per record.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "shardgate/burst.hpp"
#include "shardgate/key.hpp"
#include "shardgate/key_expr.hpp"

namespace shardgate {

/// Bytes that string results of one record's key expressions may use
/// (UPPER, CAST AS VARCHAR, concatenation). A key that needs more is
/// `key_status::oversized`.
inline constexpr std::size_t key_scratch_bytes = 2048;

/// Scratch space for one evaluation; reset before each record.
struct key_scratch {
    std::array<std::byte, key_scratch_bytes> bytes;
    std::size_t used = 0;
};

/// The values of the fields a record's key programs read, by slot (the slot
/// numbers `resolve` gave out when compiling), and which of them the record
/// has: a field that is absent makes its key `missing`, while a present NULL
/// is a value like any other.
struct field_values {
    static constexpr std::size_t max_slots = 16;
    std::array<key_value, max_slots> values;
    std::uint32_t present = 0; ///< bit s set when slot s was found in the record
    std::uint32_t unusable =
        0; ///< bit s set when slot s holds a value no key may use (a JSON object or array)
};

class key_program {
public:
    /// Resolves a field name to a slot < field_values::max_slots, or nullopt
    /// when the format has no such field.
    using resolver = std::function<std::optional<std::uint32_t>(std::string_view)>;

    /// Compiles `expr`. Throws std::invalid_argument naming the expression and
    /// what is wrong: an unknown field, a malformed program (stack underflow,
    /// more than one result), a program deeper than the evaluator's stack.
    key_program(const key_expr& expr, const resolver& resolve);

    /// Evaluates for one record. Strings in `out` may point into the record or
    /// into `scratch`. Returns ok, missing (an absent field), bad_value (CAST
    /// of a non-number, division by zero, overflow) or oversized (scratch
    /// full). Any thread; no allocation.
    key_status eval(const field_values& fields, key_scratch& scratch, key_value& out) const noexcept;

    /// Field slot when the program is one plain field (the common case), else
    /// nullopt: the caller may then skip the machine entirely.
    [[nodiscard]] std::optional<std::uint32_t> plain_field() const noexcept {
        if (code_.size() == 1 && code_[0].op == key_op::field) return code_[0].slot;
        return std::nullopt;
    }
    [[nodiscard]] std::string_view text() const noexcept { return text_; }

    /// Deepest stack a compiled program may need.
    static constexpr std::size_t max_depth = 16;

private:
    struct instr {
        key_op op;
        std::uint32_t slot;   ///< field
        std::int64_t imm;     ///< push_int, substring's argument count
        std::string_view str; ///< push_string (points into text_pool_)
    };
    std::string text_;
    std::string text_pool_;
    std::vector<instr> code_;
};

/// The routing keys of one source: compiled programs plus the canonical
/// encoding of their values for a whole burst.
class key_set {
public:
    /// Longest canonical key; a longer one is `key_status::oversized`.
    static constexpr std::size_t max_key_bytes = 1024;
    /// Most routing keys a plan may have.
    static constexpr std::size_t max_keys = 16;

    /// Compiles every key (see key_program). Throws std::invalid_argument when
    /// there are more than max_keys keys.
    key_set(std::span<const key_expr> keys, const key_program::resolver& resolve);

    [[nodiscard]] std::size_t size() const noexcept { return programs_.size(); }
    [[nodiscard]] const key_program& operator[](std::size_t i) const noexcept { return programs_[i]; }

    /// Evaluates the keys of record `i` and stores its canonical key in
    /// burst.keys[i] (bytes in this key_set's arena, or in the record itself for
    /// a single string key) and its state in burst.key_states[i]. The owning
    /// core only; no allocation.
    void encode(record_burst& burst, std::uint32_t i, const field_values& fields) noexcept;

private:
    std::vector<key_program> programs_;
    key_scratch scratch_;
    /// One record's key values; a member so that encode() does not zero a
    /// fresh array per record.
    std::array<key_value, max_keys> values_;
    /// One key's slot per burst record: keys[i] stays valid for the whole burst.
    std::vector<std::byte> arena_;
};

} // namespace shardgate
