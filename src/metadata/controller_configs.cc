// The controller's config operations: AlterConfigs, IncrementalAlterConfigs
// and DescribeConfigs on topic and broker resources.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "metadata/controller.h"

namespace moldau::metadata {
namespace {

Error err(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

std::string_view op_name(AlterConfigOp op) {
  switch (op) {
    case AlterConfigOp::kSet: return "SET";
    case AlterConfigOp::kDelete: return "DELETE";
    case AlterConfigOp::kAppend: return "APPEND";
    case AlterConfigOp::kSubtract: return "SUBTRACT";
  }
  return "UNKNOWN";
}

const ConfigDef* def_for(ConfigResourceType type, std::string_view key) {
  return type == ConfigResourceType::kTopic ? find_topic_config(key) : find_broker_config(key);
}

template <typename Resource>
std::vector<bool> duplicate_resources(const std::vector<Resource>& resources) {
  std::vector<bool> dup(resources.size(), false);
  for (size_t i = 0; i < resources.size(); ++i) {
    for (size_t j = i + 1; j < resources.size(); ++j) {
      if (resources[i].resource == resources[j].resource) dup[i] = dup[j] = true;
    }
  }
  return dup;
}

// Whether `key` names a config of the resource type that may be changed:
// any topic config; a broker config only when dynamic. Kafka answers
// INVALID_REQUEST for broker configs it cannot apply (KAFKA-13609), and so do
// we, so that clients handle both alike.
Status check_alterable(ConfigResourceType type, const std::string& key) {
  const ConfigDef* def = def_for(type, key);
  if (type == ConfigResourceType::kTopic) {
    if (!def) return err(ErrorCode::kInvalidConfig, fmt::format("Unknown topic config name: {}", key));
    return {};
  }
  if (!def || !def->dynamic) {
    return err(ErrorCode::kInvalidRequest,
               fmt::format("Cannot update these configs dynamically: {}{}", key,
                           def ? " (read-only; set it in server.properties)" : " (unknown broker config)"));
  }
  return {};
}

}  // namespace

Status Controller::check_config_resource(const ConfigResource& resource, const ConfigMap** current) const {
  switch (resource.type) {
    case ConfigResourceType::kTopic: {
      if (auto s = validate_topic_name(resource.name); !s) return s;
      const TopicImage* t = image_->topic(resource.name);
      if (!t) {
        return err(ErrorCode::kUnknownTopicOrPartition, fmt::format("The topic '{}' does not exist.", resource.name));
      }
      *current = &t->configs;
      return {};
    }
    case ConfigResourceType::kBroker: {
      if (!resource.name.empty()) {
        int32_t id = -1;
        const std::string& n = resource.name;
        auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), id);
        if (ec != std::errc() || p != n.data() + n.size() || id < 0) {
          return err(ErrorCode::kInvalidRequest,
                     fmt::format("Invalid broker name {}: a broker resource is a node id, or \"\" for the "
                                 "cluster-wide default", n));
        }
      }
      *current = &image_->broker_configs(resource.name);
      return {};
    }
    default:
      return err(ErrorCode::kInvalidRequest,
                 fmt::format("Unsupported resource type {} for config changes", int(resource.type)));
  }
}

Result<std::string> Controller::validate_alter_value(const ConfigResource& resource, const std::string& key,
                                                     std::string_view value) const {
  if (auto s = check_alterable(resource.type, key); !s) return s.error();
  const ConfigDef* def = def_for(resource.type, key);
  if (resource.type == ConfigResourceType::kTopic) return validate_config_value(*def, value);
  auto v = validate_config_value(*def, value);
  if (!v) return err(ErrorCode::kInvalidRequest, v.error().message);
  return v;
}

Result<std::vector<Record>> Controller::plan_config_change(const ConfigResource& resource, const ConfigMap& current,
                                                          const ConfigMap& wanted) const {
  if (resource.type == ConfigResourceType::kTopic) {
    if (auto s = validate_topic_overrides(wanted); !s) return s.error();
  }
  std::vector<Record> records;
  for (const auto& [key, value] : wanted) {
    auto it = current.find(key);
    if (it == current.end() || it->second != value) {
      records.push_back(ConfigRecord{resource.type, resource.name, key, value});
    }
  }
  for (const auto& [key, value] : current) {
    if (!wanted.count(key)) records.push_back(ConfigRecord{resource.type, resource.name, key, std::nullopt});
  }
  return records;
}

void Controller::alter_configs(std::vector<AlterConfigsResource> resources, bool validate_only,
                               Done<AlterConfigsResult> done) {
  std::vector<AlterConfigsResult> results(resources.size());
  std::vector<Record> records;
  auto dup = duplicate_resources(resources);
  for (size_t i = 0; i < resources.size(); ++i) {
    const AlterConfigsResource& req = resources[i];
    AlterConfigsResult& r = results[i];
    r.resource = req.resource;
    auto plan = [&]() -> Result<std::vector<Record>> {
      if (dup[i]) return err(ErrorCode::kInvalidRequest, "Duplicate resource in the request.");
      const ConfigMap* current = nullptr;
      if (auto s = check_config_resource(req.resource, &current); !s) return s.error();
      // Legacy AlterConfigs replaces the resource's whole set of overrides.
      ConfigMap wanted;
      std::vector<std::string> nulls;
      for (const auto& [key, value] : req.configs) {
        if (wanted.count(key)) return err(ErrorCode::kInvalidRequest, "Error due to duplicate config keys");
        if (!value) {
          nulls.push_back(key);
          continue;
        }
        auto v = validate_alter_value(req.resource, key, *value);
        if (!v) return v.error();
        wanted[key] = std::move(v).value();
      }
      if (!nulls.empty()) {
        return err(ErrorCode::kInvalidRequest, fmt::format("Null value not supported for : {}", fmt::join(nulls, ", ")));
      }
      return plan_config_change(req.resource, *current, wanted);
    }();
    if (!plan) {
      r.error = plan.error().code;
      r.message = plan.error().message;
    } else if (!validate_only) {
      records.insert(records.end(), plan->begin(), plan->end());
    }
  }
  commit(std::move(records), [results = std::move(results), done = std::move(done)](Status s) mutable {
    for (auto& r : results) {
      if (!s && r.error == ErrorCode::kNone) {
        r.error = s.error().code;
        r.message = s.error().message;
      }
    }
    done(std::move(results));
  });
}

void Controller::incremental_alter_configs(std::vector<IncrementalAlterConfigsResource> resources,
                                           bool validate_only, Done<AlterConfigsResult> done) {
  std::vector<AlterConfigsResult> results(resources.size());
  std::vector<Record> records;
  auto dup = duplicate_resources(resources);
  for (size_t i = 0; i < resources.size(); ++i) {
    const IncrementalAlterConfigsResource& req = resources[i];
    AlterConfigsResult& r = results[i];
    r.resource = req.resource;
    auto plan = [&]() -> Result<std::vector<Record>> {
      if (dup[i]) return err(ErrorCode::kInvalidRequest, "Duplicate resource in the request.");
      const ConfigMap* current = nullptr;
      if (auto s = check_config_resource(req.resource, &current); !s) return s.error();
      std::set<std::string> keys;
      std::vector<std::string> nulls;
      for (const AlterableConfig& c : req.configs) {
        if (!keys.insert(c.name).second) return err(ErrorCode::kInvalidRequest, "Error due to duplicate config keys");
        if (c.op != AlterConfigOp::kDelete && !c.value) nulls.push_back(c.name);
        if (int(c.op) < 0 || int(c.op) > 3) {
          return err(ErrorCode::kInvalidRequest, fmt::format("Unknown alter config operation {}", int(c.op)));
        }
      }
      if (!nulls.empty()) {
        return err(ErrorCode::kInvalidRequest, fmt::format("Null value not supported for : {}", fmt::join(nulls, ", ")));
      }
      ConfigMap wanted = *current;
      for (const AlterableConfig& c : req.configs) {
        const ConfigDef* def = def_for(req.resource.type, c.name);
        std::string value;
        switch (c.op) {
          case AlterConfigOp::kDelete:
            if (auto s = check_alterable(req.resource.type, c.name); !s) return s.error();
            wanted.erase(c.name);
            continue;
          case AlterConfigOp::kSet:
            value = *c.value;
            break;
          case AlterConfigOp::kAppend:
          case AlterConfigOp::kSubtract: {
            if (auto s = check_alterable(req.resource.type, c.name); !s) return s.error();
            if (def->type != ConfigType::kList) {
              return err(ErrorCode::kInvalidConfig, fmt::format("Can't {} to key {} because its type is not LIST.",
                                                                op_name(c.op), c.name));
            }
            auto it = wanted.find(c.name);
            std::string base = it != wanted.end() ? it->second : def->default_value.value_or("");
            std::vector<std::string> items = config_as_list(base);
            for (const std::string& item : config_as_list(*c.value)) {
              auto pos = std::find(items.begin(), items.end(), item);
              if (c.op == AlterConfigOp::kAppend && pos == items.end()) items.push_back(item);
              if (c.op == AlterConfigOp::kSubtract && pos != items.end()) items.erase(pos);
            }
            value = join_list(items);
            break;
          }
        }
        auto v = validate_alter_value(req.resource, c.name, value);
        if (!v) return v.error();
        wanted[c.name] = std::move(v).value();
      }
      return plan_config_change(req.resource, *current, wanted);
    }();
    if (!plan) {
      r.error = plan.error().code;
      r.message = plan.error().message;
    } else if (!validate_only) {
      records.insert(records.end(), plan->begin(), plan->end());
    }
  }
  commit(std::move(records), [results = std::move(results), done = std::move(done)](Status s) mutable {
    for (auto& r : results) {
      if (!s && r.error == ErrorCode::kNone) {
        r.error = s.error().code;
        r.message = s.error().message;
      }
    }
    done(std::move(results));
  });
}

std::vector<DescribeConfigsResult> Controller::describe_configs(const std::vector<DescribeConfigsResource>& resources,
                                                                bool include_synonyms,
                                                                bool include_documentation) const {
  std::vector<DescribeConfigsResult> out;
  for (const DescribeConfigsResource& req : resources) {
    DescribeConfigsResult r;
    r.resource = req.resource;
    DescribeOptions options;
    options.keys = req.keys ? &*req.keys : nullptr;
    options.include_synonyms = include_synonyms;
    options.include_documentation = include_documentation;
    switch (req.resource.type) {
      case ConfigResourceType::kTopic: {
        if (auto s = validate_topic_name(req.resource.name); !s) {
          r.error = s.error().code;
          r.message = s.error().message;
          break;
        }
        const TopicImage* t = image_->topic(req.resource.name);
        if (!t) {
          r.error = ErrorCode::kUnknownTopicOrPartition;
          r.message = fmt::format("Topic {} does not exist.", req.resource.name);
          break;
        }
        r.configs = describe_topic_configs(t->configs, *image_, config_, options);
        break;
      }
      case ConfigResourceType::kBroker: {
        auto configs = describe_broker_configs(req.resource.name, *image_, config_, options);
        if (!configs) {
          r.error = configs.error().code;
          r.message = configs.error().message;
        } else {
          r.configs = std::move(configs).value();
        }
        break;
      }
      default:
        r.error = ErrorCode::kInvalidRequest;
        r.message = fmt::format("Unsupported resource type: {}", int(req.resource.type));
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace moldau::metadata
