#include "dataplane/pipeline/lane.hpp"

#include <algorithm>
#include <bit>
#include <memory>
#include <stdexcept>
#include <string>

namespace shardgate {
namespace {
std::size_t ring_capacity(std::uint32_t blocks) {
    if (blocks == 0) throw std::invalid_argument("a lane needs at least one block");
    // Both rings must hold every block so publish/give_back cannot fail.
    return std::bit_ceil(std::max<std::size_t>(blocks, 2));
}
} // namespace

lane::lane(std::uint32_t blocks, std::uint32_t block_bytes, std::pmr::memory_resource* mem,
           std::pmr::memory_resource* consumer_mem)
    : blocks_(blocks), block_bytes_(block_bytes), stride_((std::size_t{block_bytes} + slack + 63) / 64 * 64),
      mem_(mem), consumer_mem_(consumer_mem ? consumer_mem : mem), memory_(nullptr), slots_(blocks, mem),
      taken_(nullptr), stack_(blocks, mem), full_(ring_capacity(blocks), mem),
      free_(ring_capacity(blocks), mem) {
    if (block_bytes == 0) throw std::invalid_argument("a lane's block size must be positive");
    commit_every_ = std::max<std::uint32_t>(1, blocks / 4);
    // 64-byte alignment: blocks are handed to the kernel or a NIC as they are.
    taken_ = static_cast<slot*>(consumer_mem_->allocate(taken_bytes(), 64));
    std::uninitialized_fill_n(taken_, blocks, slot{nullptr, nullptr});
    try {
        memory_ = static_cast<std::byte*>(mem_->allocate(std::size_t{blocks} * stride_, 64));
    } catch (...) {
        consumer_mem_->deallocate(taken_, taken_bytes(), 64);
        throw;
    }
    for (std::uint32_t i = 0; i < blocks; ++i) {
        rebind(i, own_data(i), nullptr);
        give_back(i);
    }
}

lane::~lane() {
    consumer_mem_->deallocate(taken_, taken_bytes(), 64);
    mem_->deallocate(memory_, std::size_t{blocks_} * stride_, 64);
}

} // namespace shardgate
