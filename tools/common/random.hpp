#pragma once
/// Deterministic random numbers for the generator. Everything here is
/// specified bit for bit (no std:: distributions, whose output differs between
/// standard libraries), so the same seed gives the same records everywhere.

#include <cstdint>

namespace shardgate::tools {

/// splitmix64: seeds the main generator from one 64-bit seed.
[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/// xoshiro256** (Blackman and Vigna): fast, 256-bit state, good statistics.
class rng {
public:
    explicit rng(std::uint64_t seed) noexcept {
        std::uint64_t sm = seed;
        for (auto& w : s_) w = splitmix64(sm);
    }
    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    /// Uniform in [0, n) by multiply-high (Lemire); bias below n / 2^64.
    /// Precondition: n > 0.
    std::uint64_t below(std::uint64_t n) noexcept {
        return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
    }
    /// Uniform in [0, 1) with 53 random bits.
    double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
        return (x << k) | (x >> (64 - k));
    }
    std::uint64_t s_[4];
};

/// Zipf over ranks 1..n with P(k) proportional to k^-s, s > 0, by Hörmann and
/// Derflinger's rejection-inversion: O(1) expected per sample, no table, so n
/// may be as large as the symbol space. Expected draws per sample < 1.1.
class zipf_sampler {
public:
    /// Preconditions: n >= 1, s > 0 (checked by the caller's flag parsing).
    zipf_sampler(std::uint64_t n, double s) noexcept;
    /// A rank in [1, n].
    std::uint64_t operator()(rng& r) const noexcept;

private:
    double h(double x) const noexcept;
    double h_integral(double x) const noexcept;
    double h_integral_inverse(double x) const noexcept;

    double n_;
    double s_;
    double h_integral_x1_;
    double h_integral_n_;
    double threshold_;
};

} // namespace shardgate::tools
