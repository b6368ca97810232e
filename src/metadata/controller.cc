#include "metadata/controller.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <set>

#include "base/log.h"

namespace moldau::metadata {
namespace {

Error err(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

// Kafka treats '.' and '_' as the same character when looking for topics
// whose metric names would collide.
std::string collision_key(std::string_view name) {
  std::string s(name);
  std::replace(s.begin(), s.end(), '.', '_');
  return s;
}

}  // namespace

Status validate_topic_name(std::string_view name) {
  if (name.empty()) return err(ErrorCode::kInvalidTopicException, "Topic name is illegal, it can't be empty");
  if (name == "." || name == "..") {
    return err(ErrorCode::kInvalidTopicException, "Topic name cannot be \".\" or \"..\"");
  }
  if (name.size() > kMaxTopicNameLength) {
    return err(ErrorCode::kInvalidTopicException,
               fmt::format("Topic name is illegal, it can't be longer than {} characters, topic name: {}",
                           kMaxTopicNameLength, name));
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-';
    if (!ok) {
      return err(ErrorCode::kInvalidTopicException,
                 fmt::format("Topic name \"{}\" is illegal, it contains a character other than ASCII "
                             "alphanumerics, '.', '_' and '-'",
                             name));
    }
  }
  return {};
}

bool is_internal_topic(std::string_view name) {
  return name == kConsumerOffsetsTopic || name == kTransactionStateTopic;
}

struct Controller::TopicPlan {
  CreateTopicResult result;
  std::vector<Record> records;
};

Controller::Controller(MetadataQuorum& quorum, const BrokerConfig& config, std::string cluster_id, Options options)
    : quorum_(quorum), config_(config), options_(std::move(options)),
      image_(MetadataImage::empty(std::move(cluster_id))) {
  if (!options_.new_topic_id) options_.new_topic_id = TopicId::random;
}

Status Controller::load() {
  ImageBuilder builder(image_);
  Status s = quorum_.replay([&](const CommittedBatch& batch) { return builder.apply_batch(batch.base_offset, batch.records); });
  if (!s) return Error{s.error().code, fmt::format("cannot load the metadata log: {}", s.error().message)};
  image_ = builder.build();
  quorum_.set_commit_listener([this](const CommittedBatch& batch) { handle_commit(batch); });
  MOLDAU_LOG_INFO("metadata loaded up to offset {}: {} brokers, {} topics", image_->last_offset(),
                  image_->brokers().size(), image_->topics().size());
  return {};
}

void Controller::handle_commit(const CommittedBatch& batch) {
  ImageBuilder builder(image_);
  Status s = builder.apply_batch(batch.base_offset, batch.records);
  if (!s) {
    // A committed record the image cannot take means the controller wrote
    // something it should have refused: a bug, and the image would now lie.
    MOLDAU_LOG_ERROR("committed metadata does not apply: {}", s.error().message);
    std::abort();
  }
  ImagePtr old = std::move(image_);
  image_ = builder.build();
  // Copies: a listener may start another operation, which commits (and
  // replaces image_) before this loop ends, or may subscribe someone new.
  ImagePtr now = image_;
  auto listeners = listeners_;
  for (const auto& l : listeners) l(old, now, batch);
}

void Controller::commit(std::vector<Record> records, std::function<void(Status)> done) {
  if (records.empty()) {
    done(Status());
    return;
  }
  quorum_.append(std::move(records), [done = std::move(done)](Result<int64_t> r) {
    done(r.ok() ? Status() : Status(r.error()));
  });
}

void Controller::register_broker(std::function<void(Status)> done) {
  RegisterBrokerRecord r;
  r.node_id = config_.node_id;
  for (const ListenerSpec& l : config_.advertised_listeners) {
    BrokerEndpoint e;
    e.listener = l.name;
    e.host = l.host.empty() ? options_.default_advertised_host : l.host;
    e.port = l.port;
    e.security_protocol = config_.security_protocols.at(l.name);
    r.endpoints.push_back(std::move(e));
  }
  r.rack = config_.get("broker.rack");
  const BrokerRegistration* now = image_->broker(r.node_id);
  if (now && now->endpoints == r.endpoints && now->rack == r.rack) {
    done(Status());
    return;
  }
  MOLDAU_LOG_INFO("registering broker: {}", to_string(Record(r)));
  commit({std::move(r)}, std::move(done));
}

void Controller::allocate_producer_ids(int64_t count, std::function<void(Result<int64_t>)> done) {
  const int64_t first = std::max(image_->next_producer_id(), reserved_producer_ids_);
  if (count <= 0 || first > std::numeric_limits<int64_t>::max() - count) {
    done(Error{ErrorCode::kUnknownServerError, "producer ids are exhausted"});
    return;
  }
  reserved_producer_ids_ = first + count;
  ProducerIdsRecord r;
  r.broker_id = config_.node_id;
  const BrokerRegistration* reg = image_->broker(config_.node_id);
  r.broker_epoch = reg ? reg->epoch : -1;
  r.next_producer_id = first + count;
  commit({std::move(r)}, [first, done = std::move(done)](Status s) {
    if (!s) {
      done(s.error());
      return;
    }
    done(first);
  });
}

// ---- CreateTopics -----------------------------------------------------------

Status Controller::check_assignment(const std::vector<int32_t>& replicas, size_t expected_rf) const {
  if (replicas.empty()) {
    return err(ErrorCode::kInvalidReplicaAssignment, "The manual partition assignment includes an empty replica list.");
  }
  std::set<int32_t> seen;
  for (int32_t b : replicas) {
    if (!seen.insert(b).second) {
      return err(ErrorCode::kInvalidReplicaAssignment,
                 fmt::format("The manual partition assignment includes the broker {} more than once.", b));
    }
    if (!image_->broker(b)) {
      return err(ErrorCode::kInvalidReplicaAssignment,
                 fmt::format("The manual partition assignment includes broker {}, but no such broker is "
                             "registered.", b));
    }
  }
  if (expected_rf != 0 && replicas.size() != expected_rf) {
    return err(ErrorCode::kInvalidReplicaAssignment,
               fmt::format("The manual partition assignment includes a partition with {} replica(s), but "
                           "this is not consistent with previous partitions, which have {} replica(s).",
                           replicas.size(), expected_rf));
  }
  return {};
}

std::vector<int32_t> Controller::place_replicas(int32_t partition, int32_t rf,
                                                const std::vector<int32_t>& brokers) const {
  // Striped placement: partition p starts at broker p mod n, so leaders
  // spread evenly and each replica set holds distinct brokers.
  std::vector<int32_t> replicas;
  for (int32_t i = 0; i < rf; ++i) replicas.push_back(brokers[size_t(partition + i) % brokers.size()]);
  return replicas;
}

Status Controller::validate_topic_overrides(const ConfigMap& overrides) const {
  auto value = [&](const char* key) { return *effective_topic_value(key, overrides, *image_, config_); };
  int64_t min_lag = config_as_long(value("min.compaction.lag.ms"));
  int64_t max_lag = config_as_long(value("max.compaction.lag.ms"));
  if (min_lag > max_lag) {
    return err(ErrorCode::kInvalidConfig,
               fmt::format("conflicting topic configs: min.compaction.lag.ms ({}) > max.compaction.lag.ms ({})",
                           min_lag, max_lag));
  }
  if (config_as_bool(value("remote.storage.enable"))) {
    return err(ErrorCode::kInvalidConfig,
               "Invalid value true for configuration remote.storage.enable: tiered storage is not supported "
               "by Moldau");
  }
  return {};
}

Result<Controller::TopicPlan> Controller::plan_topic(const CreatableTopic& t, const MetadataImage& image) const {
  if (auto s = validate_topic_name(t.name); !s) return s.error();
  if (image.topic(t.name)) {
    return err(ErrorCode::kTopicAlreadyExists, fmt::format("Topic '{}' already exists.", t.name));
  }
  std::string key = collision_key(t.name);
  for (const auto& [name, topic] : image.topics()) {
    if (collision_key(name) == key) {
      return err(ErrorCode::kInvalidTopicException,
                 fmt::format("Topic '{}' collides with existing topic: {}", t.name, name));
    }
  }
  // Configs.
  ConfigMap overrides;
  for (const auto& [name, value] : t.configs) {
    const ConfigDef* def = find_topic_config(name);
    if (!def) return err(ErrorCode::kInvalidConfig, fmt::format("Unknown topic config name: {}", name));
    if (!value) {
      return err(ErrorCode::kInvalidConfig, fmt::format("Null value not supported for topic configs: {}", name));
    }
    if (overrides.count(name)) {
      return err(ErrorCode::kInvalidRequest, fmt::format("Duplicate topic config name: {}", name));
    }
    auto canonical = validate_config_value(*def, *value);
    if (!canonical) return canonical.error();
    overrides[name] = std::move(canonical).value();
  }
  if (auto s = validate_topic_overrides(overrides); !s) return s.error();
  // Partitions and replicas.
  std::vector<std::vector<int32_t>> replicas;
  if (!t.assignments.empty()) {
    if (t.num_partitions != -1 || t.replication_factor != -1) {
      return err(ErrorCode::kInvalidRequest,
                 "A manual partition assignment was specified, but numPartitions or replicationFactor was "
                 "not set to -1.");
    }
    if (t.assignments.size() > size_t(kMaxPartitionsPerRequest)) {
      return err(ErrorCode::kInvalidPartitions,
                 fmt::format("Unable to create {} partitions in one request; the limit is {}.",
                             t.assignments.size(), kMaxPartitionsPerRequest));
    }
    int32_t expected = 0;
    for (const auto& [partition, brokers] : t.assignments) {
      if (partition != expected) {
        return err(ErrorCode::kInvalidReplicaAssignment,
                   fmt::format("Found a manual partition assignment with partition index {}, but expected {}.",
                               partition, expected));
      }
      if (auto s = check_assignment(brokers, replicas.empty() ? 0 : replicas.front().size()); !s) return s.error();
      replicas.push_back(brokers);
      ++expected;
    }
  } else {
    int64_t partitions = t.num_partitions == -1 ? config_.get_long("num.partitions") : t.num_partitions;
    int64_t rf = t.replication_factor == -1 ? config_.get_long("default.replication.factor") : t.replication_factor;
    if (partitions <= 0) {
      return err(ErrorCode::kInvalidPartitions, "Number of partitions was set to an invalid non-positive value.");
    }
    if (partitions > kMaxPartitionsPerRequest) {
      return err(ErrorCode::kInvalidPartitions,
                 fmt::format("Unable to create {} partitions in one request; the limit is {}.", partitions,
                             kMaxPartitionsPerRequest));
    }
    if (rf <= 0) {
      return err(ErrorCode::kInvalidReplicationFactor,
                 "Replication factor must be larger than 0, or -1 to use the default value.");
    }
    std::vector<int32_t> brokers;
    for (const auto& [id, reg] : image.brokers()) brokers.push_back(id);
    if (size_t(rf) > brokers.size()) {
      return err(ErrorCode::kInvalidReplicationFactor,
                 fmt::format("Unable to replicate the partition {} time(s): The target replication factor of "
                             "{} cannot be reached because only {} broker(s) are registered.",
                             rf, rf, brokers.size()));
    }
    for (int32_t p = 0; p < partitions; ++p) replicas.push_back(place_replicas(p, int32_t(rf), brokers));
  }
  TopicPlan plan;
  plan.result.name = t.name;
  // Ids are random; an id already in use (or zero) is simply drawn again.
  do {
    plan.result.topic_id = options_.new_topic_id();
  } while (plan.result.topic_id.is_zero() || image.topic(plan.result.topic_id));
  plan.result.num_partitions = int32_t(replicas.size());
  plan.result.replication_factor = int16_t(replicas.front().size());
  plan.result.configs = describe_topic_configs(overrides, image, config_, DescribeOptions{});
  plan.records.push_back(TopicRecord{t.name, plan.result.topic_id});
  for (const auto& [name, value] : overrides) {
    plan.records.push_back(ConfigRecord{ConfigResourceType::kTopic, t.name, name, value});
  }
  for (size_t p = 0; p < replicas.size(); ++p) {
    plan.records.push_back(PartitionRecord{plan.result.topic_id, int32_t(p), replicas[p], replicas[p],
                                           replicas[p].front(), 0, 0});
  }
  return plan;
}

void Controller::create_topics(std::vector<CreatableTopic> topics, bool validate_only,
                               Done<CreateTopicResult> done) {
  std::map<std::string, int> counts;
  for (const auto& t : topics) ++counts[t.name];
  std::vector<CreateTopicResult> results(topics.size());
  std::vector<Record> records;
  std::set<std::string> planned;  // collision keys of topics created by this request
  for (size_t i = 0; i < topics.size(); ++i) {
    CreateTopicResult& r = results[i];
    r.name = topics[i].name;
    if (counts[topics[i].name] > 1) {
      r.error = ErrorCode::kInvalidRequest;
      r.message = "Duplicate topic name.";
      continue;
    }
    auto plan = plan_topic(topics[i], *image_);
    if (plan.ok() && !planned.insert(collision_key(r.name)).second) {
      plan = err(ErrorCode::kInvalidTopicException,
                 fmt::format("Topic '{}' collides with another topic of this request.", r.name));
    }
    if (!plan.ok()) {
      r.error = plan.error().code;
      r.message = plan.error().message;
      continue;
    }
    r = std::move(plan->result);
    if (validate_only) {
      r.topic_id = TopicId();
    } else {
      records.insert(records.end(), plan->records.begin(), plan->records.end());
    }
  }
  commit(std::move(records), [results = std::move(results), done = std::move(done)](Status s) mutable {
    if (!s) {
      for (auto& r : results) {
        if (r.error == ErrorCode::kNone) {
          r.error = s.error().code;
          r.message = s.error().message;
        }
      }
    }
    done(std::move(results));
  });
}

bool Controller::auto_create_enabled() const {
  auto v = effective_broker_value(*image_, config_, "auto.create.topics.enable");
  return v && config_as_bool(*v);
}

void Controller::auto_create_topics(std::vector<std::string> names, Done<CreateTopicResult> done) {
  std::vector<CreatableTopic> topics;
  for (auto& n : names) {
    CreatableTopic t;
    t.name = std::move(n);
    topics.push_back(std::move(t));
  }
  create_topics(std::move(topics), false, std::move(done));
}

void Controller::ensure_internal_topic(std::string_view name, std::function<void(Status)> done) {
  if (image_->topic(name)) {
    done(Status());
    return;
  }
  CreatableTopic t;
  t.name = std::string(name);
  if (name == kConsumerOffsetsTopic) {
    t.num_partitions = int32_t(config_.get_long("offsets.topic.num.partitions"));
    t.replication_factor = int16_t(config_.get_long("offsets.topic.replication.factor"));
    t.configs = {{"cleanup.policy", "compact"},
                 {"compression.type", "producer"},
                 {"segment.bytes", config_.get_string("offsets.topic.segment.bytes")}};
  } else if (name == kTransactionStateTopic) {
    t.num_partitions = int32_t(config_.get_long("transaction.state.log.num.partitions"));
    t.replication_factor = int16_t(config_.get_long("transaction.state.log.replication.factor"));
    t.configs = {{"cleanup.policy", "compact"},
                 {"compression.type", "uncompressed"},
                 {"min.insync.replicas", config_.get_string("transaction.state.log.min.isr")},
                 {"segment.bytes", config_.get_string("transaction.state.log.segment.bytes")},
                 {"unclean.leader.election.enable", "false"}};
  } else {
    done(err(ErrorCode::kInvalidRequest, fmt::format("{} is not an internal topic", name)));
    return;
  }
  create_topics({std::move(t)}, false, [done = std::move(done)](std::vector<CreateTopicResult> r) {
    if (r[0].error == ErrorCode::kNone || r[0].error == ErrorCode::kTopicAlreadyExists) {
      done(Status());
    } else {
      done(err(r[0].error, fmt::format("cannot create internal topic {}: {}", r[0].name, r[0].message)));
    }
  });
}

// ---- DeleteTopics -----------------------------------------------------------

void Controller::delete_topics(std::vector<TopicRef> topics, Done<DeleteTopicResult> done) {
  std::vector<DeleteTopicResult> results(topics.size());
  auto enabled = effective_broker_value(*image_, config_, "delete.topic.enable");
  bool deletion_enabled = enabled && config_as_bool(*enabled);
  std::vector<Record> records;
  std::map<TopicId, int> seen;
  std::vector<const TopicImage*> found(topics.size(), nullptr);
  for (size_t i = 0; i < topics.size(); ++i) {
    const TopicRef& ref = topics[i];
    DeleteTopicResult& r = results[i];
    r.name = ref.name;
    r.topic_id = ref.id;
    if (!deletion_enabled) {
      r.error = ErrorCode::kTopicDeletionDisabled;
      r.message = "Topic deletion is disabled.";
      continue;
    }
    if (ref.name && !ref.id.is_zero()) {
      r.error = ErrorCode::kInvalidRequest;
      r.message = "You may not specify both a topic name and a topic id.";
      continue;
    }
    if (!ref.name && ref.id.is_zero()) {
      r.error = ErrorCode::kInvalidRequest;
      r.message = "Neither a topic name nor a topic id was specified.";
      continue;
    }
    const TopicImage* t = ref.name ? image_->topic(*ref.name) : image_->topic(ref.id);
    if (!t) {
      r.error = ref.name ? ErrorCode::kUnknownTopicOrPartition : ErrorCode::kUnknownTopicId;
      r.message = ref.name ? fmt::format("Topic '{}' does not exist.", *ref.name)
                           : fmt::format("Topic id {} does not exist.", ref.id.to_string());
      continue;
    }
    found[i] = t;
    ++seen[t->id];
  }
  for (size_t i = 0; i < topics.size(); ++i) {
    const TopicImage* t = found[i];
    if (!t) continue;
    DeleteTopicResult& r = results[i];
    if (seen[t->id] > 1) {
      r.error = ErrorCode::kInvalidRequest;
      r.message = topics[i].name ? "Duplicate topic name." : "Duplicate topic id.";
      continue;
    }
    r.name = t->name;
    r.topic_id = t->id;
    records.push_back(RemoveTopicRecord{t->id});
  }
  commit(std::move(records), [results = std::move(results), done = std::move(done)](Status s) mutable {
    if (!s) {
      for (auto& r : results) {
        if (r.error == ErrorCode::kNone) {
          r.error = s.error().code;
          r.message = s.error().message;
        }
      }
    }
    done(std::move(results));
  });
}

// ---- CreatePartitions -------------------------------------------------------

void Controller::create_partitions(std::vector<CreatePartitionsTopic> topics, bool validate_only,
                                   Done<ItemResult> done) {
  std::map<std::string, int> counts;
  for (const auto& t : topics) ++counts[t.name];
  std::vector<ItemResult> results(topics.size());
  std::vector<Record> records;
  std::vector<int32_t> brokers;
  for (const auto& [id, reg] : image_->brokers()) brokers.push_back(id);
  for (size_t i = 0; i < topics.size(); ++i) {
    const CreatePartitionsTopic& req = topics[i];
    ItemResult& r = results[i];
    r.name = req.name;
    auto fail = [&](ErrorCode code, std::string message) {
      r.error = code;
      r.message = std::move(message);
    };
    if (counts[req.name] > 1) {
      fail(ErrorCode::kInvalidRequest, "Duplicate topic name.");
      continue;
    }
    const TopicImage* t = image_->topic(req.name);
    if (!t) {
      fail(ErrorCode::kUnknownTopicOrPartition, fmt::format("Topic '{}' does not exist.", req.name));
      continue;
    }
    int32_t current = int32_t(t->partitions.size());
    if (req.count < current) {
      fail(ErrorCode::kInvalidPartitions,
           fmt::format("The topic {} currently has {} partition(s); {} would not be an increase.", req.name,
                       current, req.count));
      continue;
    }
    if (req.count == current) {
      fail(ErrorCode::kInvalidPartitions, fmt::format("Topic already has {} partition(s).", current));
      continue;
    }
    int32_t adding = req.count - current;
    if (adding > kMaxPartitionsPerRequest) {
      fail(ErrorCode::kInvalidPartitions,
           fmt::format("Unable to add {} partitions in one request; the limit is {}.", adding,
                       kMaxPartitionsPerRequest));
      continue;
    }
    size_t rf = t->partitions.empty() ? 1 : t->partitions.front().replicas.size();
    std::vector<std::vector<int32_t>> replicas;
    if (req.assignments) {
      if (req.assignments->size() != size_t(adding)) {
        fail(ErrorCode::kInvalidReplicaAssignment,
             fmt::format("Attempted to add {} additional partition(s), but only {} assignment(s) were "
                         "specified.", adding, req.assignments->size()));
        continue;
      }
      Status bad;
      for (const auto& a : *req.assignments) {
        if (bad = check_assignment(a, rf); !bad) break;
      }
      if (!bad) {
        fail(bad.error().code, bad.error().message);
        continue;
      }
      replicas = *req.assignments;
    } else {
      if (rf > brokers.size()) {
        fail(ErrorCode::kInvalidReplicationFactor,
             fmt::format("Unable to replicate the partition {} time(s): The target replication factor of {} "
                         "cannot be reached because only {} broker(s) are registered.",
                         rf, rf, brokers.size()));
        continue;
      }
      for (int32_t p = current; p < req.count; ++p) replicas.push_back(place_replicas(p, int32_t(rf), brokers));
    }
    if (validate_only) continue;
    for (size_t k = 0; k < replicas.size(); ++k) {
      records.push_back(PartitionRecord{t->id, current + int32_t(k), replicas[k], replicas[k],
                                        replicas[k].front(), 0, 0});
    }
  }
  commit(std::move(records), [results = std::move(results), done = std::move(done)](Status s) mutable {
    if (!s) {
      for (auto& r : results) {
        if (r.error == ErrorCode::kNone) {
          r.error = s.error().code;
          r.message = s.error().message;
        }
      }
    }
    done(std::move(results));
  });
}

}  // namespace moldau::metadata
