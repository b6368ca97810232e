#include "kafka/waiters.h"

#include <gtest/gtest.h>

namespace moldau::kafka {
namespace {

using namespace std::chrono_literals;

TEST(PartitionWaiters, NotifyCompletesOnlyWhenTheOperationSaysSo) {
  asio::io_context io;
  PartitionWaiters w(io);
  int calls = 0;
  bool finished = false;
  w.wait({{"t", 0}}, 10s, [&](bool timed_out) {
    ++calls;
    if (calls == 2) finished = true;
    return calls == 2;
  });
  w.notify({"t", 1});  // other partition: not called
  EXPECT_EQ(calls, 0);
  w.notify({"t", 0});
  EXPECT_FALSE(finished);
  w.notify({"t", 0});
  EXPECT_TRUE(finished);
  w.notify({"t", 0});  // already done: not called again
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(w.waiting(), 0u);
}

TEST(PartitionWaiters, DeadlineFinishesWithTimedOutAndUnlinksKeys) {
  asio::io_context io;
  PartitionWaiters w(io);
  bool timed = false;
  w.wait({{"t", 0}, {"u", 3}}, 20ms, [&](bool timed_out) {
    timed = timed_out;
    return false;
  });
  io.run_for(500ms);
  EXPECT_TRUE(timed);
  EXPECT_EQ(w.waiting(), 0u);
  timed = false;
  w.notify({"t", 0});
  EXPECT_FALSE(timed);
}

TEST(PartitionWaiters, CompleteAllFinishesEverything) {
  asio::io_context io;
  PartitionWaiters w(io);
  int n = 0;
  for (int i = 0; i < 3; ++i) w.wait({{"t", i}}, 10s, [&](bool) { ++n; return false; });
  w.complete_all();
  EXPECT_EQ(n, 3);
}

}  // namespace
}  // namespace moldau::kafka
