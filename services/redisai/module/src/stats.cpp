// Implementation of the statistics registry.
#include "stats.h"

#include <mutex>
#include <unordered_map>

namespace rai {

void RunStats::Reset() {
  duration_us = 0;
  samples = 0;
  calls = 0;
  errors = 0;
}

namespace stats {
namespace {

struct Registry {
  std::mutex mu;
  std::unordered_map<std::string, StatsPtr> entries;
};

Registry& registry() {
  static Registry* r = new Registry();  // never destroyed: values may be freed during exit
  return *r;
}

}  // namespace

void Put(const StatsPtr& entry) {
  std::lock_guard<std::mutex> lock(registry().mu);
  registry().entries[entry->key] = entry;
}

void Remove(const RunStats* entry) {
  std::lock_guard<std::mutex> lock(registry().mu);
  auto it = registry().entries.find(entry->key);
  if (it != registry().entries.end() && it->second.get() == entry) registry().entries.erase(it);
}

StatsPtr Find(const std::string& key) {
  std::lock_guard<std::mutex> lock(registry().mu);
  auto it = registry().entries.find(key);
  return it == registry().entries.end() ? nullptr : it->second;
}

std::vector<StatsPtr> All() {
  std::lock_guard<std::mutex> lock(registry().mu);
  std::vector<StatsPtr> out;
  out.reserve(registry().entries.size());
  for (const auto& [key, entry] : registry().entries) out.push_back(entry);
  return out;
}

}  // namespace stats
}  // namespace rai
