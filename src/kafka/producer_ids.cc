#include "kafka/producer_ids.h"

#include "base/log.h"
#include "metadata/controller.h"

namespace moldau::kafka {

void ProducerIdAllocator::allocate(Callback done) {
  if (next_ < end_ && waiting_.empty()) {
    done(next_++);
    return;
  }
  waiting_.push_back(std::move(done));
  if (!reserving_) reserve_block();
}

void ProducerIdAllocator::reserve_block() {
  reserving_ = true;
  controller_.allocate_producer_ids(block_size_, [this](Result<int64_t> first) {
    reserving_ = false;
    if (!first) {
      MOLDAU_LOG_WARN("cannot reserve producer ids: {}", first.error().message);
      auto waiting = std::move(waiting_);
      waiting_.clear();
      for (auto& cb : waiting) cb(first.error());
      return;
    }
    next_ = *first;
    end_ = *first + block_size_;
    MOLDAU_LOG_INFO("reserved producer ids [{}, {})", next_, end_);
    while (!waiting_.empty() && next_ < end_) {
      auto cb = std::move(waiting_.front());
      waiting_.pop_front();
      cb(next_++);
    }
    if (!waiting_.empty()) reserve_block();
  });
}

}  // namespace moldau::kafka
