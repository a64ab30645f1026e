// Per-process run statistics registry behind AI.INFO and AI._MODELSCAN (spec §2.16, §2.17).
//
// Entries are keyed by key name, not by keyspace entry: re-storing replaces an entry, deleting
// the value removes it, and RENAME does not move it. Counters are atomics because workers bump
// them; the registry map itself is guarded by a mutex since values may be freed off-thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace rai {

struct RunStats {
  std::string key;
  std::string type;  // "MODEL" (scripts later: "SCRIPT")
  std::string backend;
  std::string device;
  std::string tag;
  std::atomic<long long> duration_us{0};
  std::atomic<long long> samples{0};
  std::atomic<long long> calls{0};
  std::atomic<long long> errors{0};

  void Reset();
};

using StatsPtr = std::shared_ptr<RunStats>;

namespace stats {

void Put(const StatsPtr& entry);          // replaces any entry with the same key
void Remove(const RunStats* entry);       // removes it only if it is still the registered one
StatsPtr Find(const std::string& key);
std::vector<StatsPtr> All();

}  // namespace stats
}  // namespace rai
