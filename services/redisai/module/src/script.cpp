// Building script values and their statistics entries.
#include "script.h"

#include <algorithm>

namespace rai {

bool Script::IsEntryPoint(const std::string& fn) const {
  return std::find(entry_points.begin(), entry_points.end(), fn) != entry_points.end();
}

Script::~Script() {
  if (stats) stats::Remove(stats.get());
}

std::shared_ptr<Script> BuildScript(std::string device, std::string tag, std::string source,
                                    std::vector<std::string> entry_points, std::string* err) {
  if (!torchb::CheckScriptDevice(device, err)) return nullptr;
  auto script = std::make_shared<Script>();
  if (!torchb::CompileScript(source, entry_points, &script->unit, err)) return nullptr;
  script->device = std::move(device);
  script->tag = std::move(tag);
  script->source = std::move(source);
  script->entry_points = std::move(entry_points);
  return script;
}

void RegisterStats(Script* script, const std::string& key) {
  auto entry = std::make_shared<RunStats>();
  entry->key = key;
  entry->type = "SCRIPT";
  entry->backend = "TORCH";
  entry->device = script->device;
  entry->tag = script->tag;
  script->stats = entry;
  stats::Put(entry);
}

}  // namespace rai
