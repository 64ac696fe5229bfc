#include "tools/common/random.hpp"

#include <cmath>

namespace shardgate::tools {

namespace {
// log1p(x)/x and expm1(x)/x, with their series near 0 where the quotient
// would lose precision (the s == 1 limit of the integrals below).
double helper1(double x) noexcept {
    return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}
double helper2(double x) noexcept {
    return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x));
}
} // namespace

zipf_sampler::zipf_sampler(std::uint64_t n, double s) noexcept
    : n_(static_cast<double>(n)), s_(s), h_integral_x1_(h_integral(1.5) - 1),
      h_integral_n_(h_integral(static_cast<double>(n) + 0.5)),
      threshold_(2 - h_integral_inverse(h_integral(2.5) - h(2))) {}

double zipf_sampler::h(double x) const noexcept { return std::exp(-s_ * std::log(x)); }

double zipf_sampler::h_integral(double x) const noexcept {
    const double lx = std::log(x);
    return helper2((1 - s_) * lx) * lx;
}

double zipf_sampler::h_integral_inverse(double x) const noexcept {
    double t = x * (1 - s_);
    if (t < -1) t = -1; // rounding guard: the true value is never below -1
    return std::exp(helper1(t) * x);
}

std::uint64_t zipf_sampler::operator()(rng& r) const noexcept {
    for (;;) {
        const double u = h_integral_n_ + r.unit() * (h_integral_x1_ - h_integral_n_);
        const double x = h_integral_inverse(u);
        double k = std::floor(x + 0.5);
        if (k < 1)
            k = 1;
        else if (k > n_)
            k = n_;
        if (k - x <= threshold_ || u >= h_integral(k + 0.5) - h(k)) return static_cast<std::uint64_t>(k);
    }
}

} // namespace shardgate::tools
