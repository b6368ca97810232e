// Which driver of one kind belongs to which broker (tests run several brokers
// in one process): the group, consumer-group and transaction drivers look
// themselves up here from handlers.
#pragma once

#include <unordered_map>

namespace moldau::kafka {
class Broker;
}

namespace moldau::kafka::groups {

template <typename Driver>
class BrokerRegistry {
 public:
  // The broker's driver, or null when none is attached.
  static Driver* find(const Broker& broker) {
    auto it = map().find(&broker);
    return it == map().end() ? nullptr : it->second;
  }
  // Attaches `driver` to the broker; null detaches.
  static void set(const Broker& broker, Driver* driver) {
    if (driver) {
      map()[&broker] = driver;
    } else {
      map().erase(&broker);
    }
  }

 private:
  static std::unordered_map<const Broker*, Driver*>& map() {
    static std::unordered_map<const Broker*, Driver*> r;
    return r;
  }
};

}  // namespace moldau::kafka::groups
