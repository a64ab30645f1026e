// AI_SCRIPT type callbacks: RDB save/load (reference v4 layout, spec §4.7), AOF rewrite, free.
#include <string>

#include "args.h"
#include "keys.h"
#include "queue.h"
#include "rm_api.h"

namespace rai::keys {

void* ScriptRdbLoad(RedisModuleIO* io, int encver) {
  if (encver != 4) return nullptr;
  std::string device = LoadCString(io);
  std::string tag = LoadCString(io);
  std::string source = LoadCString(io);
  uint64_t n = rm::LoadUnsigned(io);
  std::vector<std::string> entry_points;
  for (uint64_t i = 0; i < n && !rm::IsIOError(io); ++i) entry_points.push_back(LoadCString(io));
  if (rm::IsIOError(io)) return nullptr;
  std::string error;
  std::shared_ptr<Script> script =
      BuildScript(std::move(device), std::move(tag), std::move(source), std::move(entry_points),
                  &error);
  if (!script) {
    rm::Log(nullptr, rm::kLogWarning, "AI: could not rebuild script from RDB: %s",
            error.c_str());
    return nullptr;
  }
  if (!queues::Ensure(script->device)) return nullptr;
  const RedisModuleString* key = rm::GetKeyNameFromIO(io);
  // Every value needs an entry: workers count into it.
  RegisterStats(script.get(), key ? args::Str(key) : std::string());
  return new ScriptPtr(std::move(script));
}

void ScriptRdbSave(RedisModuleIO* io, void* value) {
  const Script& s = **static_cast<ScriptPtr*>(value);
  SaveCString(io, s.device);
  rm::SaveStringBuffer(io, s.tag.data(), s.tag.size());
  SaveCString(io, s.source);
  rm::SaveUnsigned(io, s.entry_points.size());
  for (const auto& ep : s.entry_points) SaveCString(io, ep);
}

void ScriptAofRewrite(RedisModuleIO* aof, RedisModuleString* key, void* value) {
  const Script& s = **static_cast<ScriptPtr*>(value);
  std::vector<RedisModuleString*> argv{KeyArg(key), NewArg(s.device), NewArg("TAG"),
                                       NewArg(s.tag)};
  // A script without entry points is written as AI.SCRIPTSET, which replays (spec Q10).
  const char* command = s.entry_points.empty() ? "AI.SCRIPTSET" : "AI.SCRIPTSTORE";
  if (!s.entry_points.empty()) {
    argv.push_back(NewArg("ENTRY_POINTS"));
    argv.push_back(NewArg(std::to_string(s.entry_points.size())));
    for (const auto& ep : s.entry_points) argv.push_back(NewArg(ep));
  }
  argv.push_back(NewArg("SOURCE"));
  argv.push_back(NewArg(s.source));
  rm::EmitAOF(aof, command, "v", argv.data(), argv.size());
  FreeArgs(argv);
}

size_t ScriptMemUsage(const void* value) {
  const Script& s = **static_cast<const ScriptPtr*>(value);
  return sizeof(Script) + s.source.size();
}

void ScriptFree(void* value) { delete static_cast<ScriptPtr*>(value); }

}  // namespace rai::keys
