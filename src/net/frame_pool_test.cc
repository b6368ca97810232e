#include "net/frame_pool.h"

#include <gtest/gtest.h>

#include <thread>

namespace moldau::net {
namespace {

TEST(FramePool, ReusesAReleasedBufferOfEnoughCapacity) {
  FramePool pool;
  const uint8_t* first = nullptr;
  {
    auto a = pool.acquire(300 * 1024);
    ASSERT_EQ(a->size(), 300u * 1024);
    first = a->data();
  }
  EXPECT_EQ(pool.idle_buffers(), 1u);
  auto b = pool.acquire(200 * 1024);  // smaller: the same memory, no new allocation
  EXPECT_EQ(b->data(), first);
  EXPECT_EQ(b->size(), 200u * 1024);
  EXPECT_EQ(pool.idle_buffers(), 0u);
  auto c = pool.acquire(400 * 1024);  // nothing idle fits: a new buffer
  EXPECT_NE(c->data(), first);
  EXPECT_EQ(c->size(), 400u * 1024);
}

TEST(FramePool, PicksTheSmallestBufferThatFits) {
  FramePool pool;
  const uint8_t* small = nullptr;
  {
    auto big = pool.acquire(1024 * 1024);
    auto s = pool.acquire(128 * 1024);
    small = s->data();
  }
  EXPECT_EQ(pool.idle_buffers(), 2u);
  auto x = pool.acquire(100 * 1024);
  EXPECT_EQ(x->data(), small);
}

TEST(FramePool, NeverKeepsHugeBuffersOrMoreThanItsBound) {
  FramePool pool;
  { auto huge = pool.acquire(FramePool::kMaxPooledFrameBytes + 1); }
  EXPECT_EQ(pool.idle_buffers(), 0u);
  {
    std::vector<std::shared_ptr<Bytes>> many;
    for (size_t i = 0; i < FramePool::kMaxPooledBytes / (4 * 1024 * 1024) + 4; ++i)
      many.push_back(pool.acquire(4 * 1024 * 1024));
  }
  EXPECT_LE(pool.idle_bytes(), FramePool::kMaxPooledBytes);
  EXPECT_GT(pool.idle_bytes(), 0u);
}

TEST(FramePool, BuffersMayBeReleasedOnAnotherThread) {
  FramePool pool;
  auto a = pool.acquire(256 * 1024);
  std::thread t([b = std::move(a)]() mutable { b.reset(); });
  t.join();
  EXPECT_EQ(pool.idle_buffers(), 1u);
}

}  // namespace
}  // namespace moldau::net
