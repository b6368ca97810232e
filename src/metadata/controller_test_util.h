// A controller over a real single-voter log in a temporary directory.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "metadata/controller.h"
#include "metadata/single_voter_quorum.h"
#include "metadata/test_util.h"

namespace moldau::metadata::testing {

inline BrokerConfig make_config(std::vector<PropertyEntry> entries = {}) {
  entries.insert(entries.begin(), PropertyEntry{"node.id", "1", 1});
  auto c = parse_broker_config(entries);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? c.value() : BrokerConfig();
}

class ControllerHarness {
 public:
  explicit ControllerHarness(std::vector<PropertyEntry> entries = {}) : config_(make_config(std::move(entries))) {
    open();
  }

  // Closes and reopens the log and the controller, as a restart does.
  void restart() {
    controller_.reset();
    quorum_.reset();
    open();
  }

  Controller& controller() { return *controller_; }
  SingleVoterQuorum& quorum() { return *quorum_; }
  const ImagePtr& image() { return controller_->image(); }
  const TempDir& dir() const { return dir_; }
  BrokerConfig& config() { return config_; }

  void add_broker(int32_t id) {
    bool ok = false;
    quorum_->append({RegisterBrokerRecord{id, {{"PLAINTEXT", "h", uint16_t(9000 + id), SecurityProtocol::kPlaintext}}, {}}},
                    [&](Result<int64_t> r) { ok = r.ok(); });
    EXPECT_TRUE(ok);
  }

  std::vector<CreateTopicResult> create(std::vector<CreatableTopic> topics, bool validate_only = false) {
    std::vector<CreateTopicResult> out;
    bool called = false;
    controller_->create_topics(std::move(topics), validate_only, [&](std::vector<CreateTopicResult> r) {
      out = std::move(r);
      called = true;
    });
    EXPECT_TRUE(called);
    return out;
  }

  CreateTopicResult create_one(std::string name, int32_t partitions = -1, int16_t rf = -1,
                               std::vector<std::pair<std::string, std::optional<std::string>>> configs = {}) {
    CreatableTopic t;
    t.name = std::move(name);
    t.num_partitions = partitions;
    t.replication_factor = rf;
    t.configs = std::move(configs);
    auto r = create({std::move(t)});
    EXPECT_EQ(r.size(), 1u);
    return r.empty() ? CreateTopicResult() : r[0];
  }

  std::vector<DeleteTopicResult> remove(std::vector<TopicRef> refs) {
    std::vector<DeleteTopicResult> out;
    bool called = false;
    controller_->delete_topics(std::move(refs), [&](std::vector<DeleteTopicResult> r) {
      out = std::move(r);
      called = true;
    });
    EXPECT_TRUE(called);
    return out;
  }

  template <typename Result, typename Fn>
  std::vector<Result> call(Fn&& fn) {
    std::vector<Result> out;
    bool called = false;
    fn([&](std::vector<Result> r) {
      out = std::move(r);
      called = true;
    });
    EXPECT_TRUE(called);
    return out;
  }

 private:
  void open() {
    auto q = SingleVoterQuorum::open(dir_.path(), 1, [] { return int64_t(1000); });
    ASSERT_TRUE(q.ok()) << q.error().message;
    quorum_ = std::move(q).value();
    Controller::Options options;
    options.new_topic_id = [this] { return TopicId::from_halves(0xabc, uint64_t(++next_id_)); };
    controller_ = std::make_unique<Controller>(*quorum_, config_, "AAAAAAAAAAEAAAAAAAAAAQ", options);
    Status s = controller_->load();
    ASSERT_TRUE(s.ok()) << s.error().message;
    bool registered = false;
    controller_->register_broker([&](Status st) {
      EXPECT_TRUE(st.ok()) << st.error().message;
      registered = true;
    });
    ASSERT_TRUE(registered);
  }

  TempDir dir_;
  BrokerConfig config_;
  std::unique_ptr<SingleVoterQuorum> quorum_;
  std::unique_ptr<Controller> controller_;
  int64_t next_id_ = 0;
};

}  // namespace moldau::metadata::testing
