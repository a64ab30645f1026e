// AI_SCRIPT type callbacks: RDB save/load (reference v4 layout, spec §4.7), AOF rewrite, free.
#include <string>

#include "args.h"
#include "keys.h"
#include "queue.h"
#include "rm_api.h"

namespace rai::keys {

namespace {

void SaveCString(RedisModuleIO* io, const std::string& s) {
  rm::SaveStringBuffer(io, s.c_str(), s.size() + 1);
}

std::string LoadCString(RedisModuleIO* io) {
  size_t len = 0;
  char* p = rm::LoadStringBuffer(io, &len);
  if (p == nullptr) return {};
  std::string s(p, len);
  rm::Free(p);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

RedisModuleString* Make(const std::string& s) {
  return rm::CreateString(nullptr, s.data(), s.size());
}

}  // namespace

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
  size_t len = 0;
  const char* k = rm::StringPtrLen(key, &len);
  std::vector<RedisModuleString*> argv{rm::CreateString(nullptr, k, len), Make(s.device),
                                       Make("TAG"), Make(s.tag)};
  // A script without entry points is written as AI.SCRIPTSET, which replays (spec Q10).
  const char* command = s.entry_points.empty() ? "AI.SCRIPTSET" : "AI.SCRIPTSTORE";
  if (!s.entry_points.empty()) {
    argv.push_back(Make("ENTRY_POINTS"));
    argv.push_back(Make(std::to_string(s.entry_points.size())));
    for (const auto& ep : s.entry_points) argv.push_back(Make(ep));
  }
  argv.push_back(Make("SOURCE"));
  argv.push_back(Make(s.source));
  rm::EmitAOF(aof, command, "v", argv.data(), argv.size());
  FreeArgs(argv);
}

size_t ScriptMemUsage(const void* value) {
  const Script& s = **static_cast<const ScriptPtr*>(value);
  return sizeof(Script) + s.source.size();
}

void ScriptFree(void* value) { delete static_cast<ScriptPtr*>(value); }

}  // namespace rai::keys
