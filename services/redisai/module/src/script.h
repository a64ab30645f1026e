// The script value: a TorchScript source of free functions and its entry points (spec §2.9).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "stats.h"
#include "torch_backend.h"

namespace rai {

struct Script {
  std::string device;
  std::string tag;
  std::string source;
  std::vector<std::string> entry_points;  // empty for AI.SCRIPTSET scripts (legacy mode)
  std::shared_ptr<torchb::ScriptUnit> unit;
  StatsPtr stats;

  bool IsEntryPoint(const std::string& fn) const;
  ~Script();
};

using ScriptPtr = std::shared_ptr<const Script>;

// Checks the device, compiles the source and validates the entry points. On failure returns
// nullptr with the reply text in `err`.
std::shared_ptr<Script> BuildScript(std::string device, std::string tag, std::string source,
                                    std::vector<std::string> entry_points, std::string* err);

// Gives the script a fresh statistics entry under `key`.
void RegisterStats(Script* script, const std::string& key);

}  // namespace rai
