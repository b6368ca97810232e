// Hands out producer ids (InitProducerId, the transaction coordinator).
//
// Ids come from blocks reserved through the controller (a ProducerIdsRecord
// in the metadata log says where the next block starts), so a restarted
// broker never gives out an id twice: ids of a block not used up before a
// restart are simply skipped. Callers that arrive while a block is being
// reserved wait for it, in order.
//
// Single-threaded: the broker's event loop only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>

#include "base/error.h"

namespace moldau::metadata {
class Controller;
}

namespace moldau::kafka {

class ProducerIdAllocator {
 public:
  static constexpr int64_t kBlockSize = 1000;
  using Callback = std::function<void(Result<int64_t>)>;

  explicit ProducerIdAllocator(metadata::Controller& controller, int64_t block_size = kBlockSize)
      : controller_(controller), block_size_(block_size) {}

  // Calls `done` with a fresh producer id (now when the current block has one
  // left, otherwise after the next block is committed), or with the
  // controller's error.
  void allocate(Callback done);

 private:
  void reserve_block();

  metadata::Controller& controller_;
  int64_t block_size_;
  int64_t next_ = 0;  // next id of the current block
  int64_t end_ = 0;   // end (exclusive) of the current block
  bool reserving_ = false;
  std::deque<Callback> waiting_;
};

}  // namespace moldau::kafka
