// Module entry point: load-time arguments, data types, command table, INFO fields, shutdown.
//
// RedisModule_OnLoad is the only symbol this library exports.
#include <dlfcn.h>
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include "commands.h"
#include "config.h"
#include "execution.h"
#include "keys.h"
#include "queue.h"
#include "rm_api.h"

namespace rai {

namespace {

constexpr int kModuleVersion = 10207;

struct CommandSpec {
  const char* name;
  rm::CmdFunc func;
  const char* flags;
  int first_key, last_key, key_step;
};

// Flags and key positions per spec §4.8; getkeys-api commands report theirs when asked.
constexpr CommandSpec kCommands[] = {
    {"AI.TENSORSET", cmd::TensorSet, "write deny-oom", 1, 1, 1},
    {"AI.TENSORGET", cmd::TensorGet, "readonly", 1, 1, 1},
    {"AI.MODELSTORE", cmd::ModelStore, "write deny-oom", 1, 1, 1},
    {"AI.MODELSET", cmd::ModelSet, "write deny-oom", 1, 1, 1},
    {"AI.MODELGET", cmd::ModelGet, "readonly", 1, 1, 1},
    {"AI.MODELDEL", cmd::ModelDel, "write", 1, 1, 1},
    {"AI.MODELEXECUTE", cmd::ModelExecute, "write deny-oom getkeys-api", 1, 1, 1},
    {"AI.MODELRUN", cmd::ModelRun, "write deny-oom getkeys-api", 1, 1, 1},
    {"AI.SCRIPTSTORE", cmd::ScriptStore, "write deny-oom", 1, 1, 1},
    {"AI.SCRIPTSET", cmd::ScriptSet, "write deny-oom", 1, 1, 1},
    {"AI.SCRIPTGET", cmd::ScriptGet, "readonly", 1, 1, 1},
    {"AI.SCRIPTDEL", cmd::ScriptDel, "write", 1, 1, 1},
    {"AI.SCRIPTEXECUTE", cmd::ScriptExecute, "write deny-oom getkeys-api", 1, 1, 1},
    {"AI.SCRIPTRUN", cmd::ScriptRun, "write deny-oom getkeys-api", 1, 1, 1},
    {"AI.DAGEXECUTE", cmd::DagExecute, "write deny-oom getkeys-api", 0, 0, 0},
    {"AI.DAGEXECUTE_RO", cmd::DagExecuteRO, "readonly getkeys-api", 0, 0, 0},
    {"AI.DAGRUN", cmd::DagRun, "write deny-oom getkeys-api", 0, 0, 0},
    {"AI.DAGRUN_RO", cmd::DagRunRO, "readonly getkeys-api", 0, 0, 0},
    {"AI.INFO", cmd::Info, "readonly", 1, 1, 1},
    {"AI._MODELSCAN", cmd::ModelScan, "readonly", 0, 0, 0},
    {"AI._SCRIPTSCAN", cmd::ScriptScan, "readonly", 0, 0, 0},
    {"AI.CONFIG", cmd::Config, "write", 0, 0, 0},
};

std::string ModuleDir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&ModuleDir), &info) == 0 || info.dli_fname == nullptr)
    return ".";
  std::string path = info.dli_fname;
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

void OnShutdown(RedisModuleCtx*, rm::Event, uint64_t, void*) { queues::Shutdown(); }

void AddCpuField(RedisModuleInfoCtx* ctx, const char* name, const timeval& tv) {
  char value[32];
  std::snprintf(value, sizeof(value), "%ld.%06ld", static_cast<long>(tv.tv_sec),
                static_cast<long>(tv.tv_usec));
  rm::InfoAddFieldCString(ctx, name, value);
}

void OnInfo(RedisModuleInfoCtx* ctx, int) {
  const Config& c = config();
  rm::InfoAddSection(ctx, "versions");
  rm::InfoAddFieldCString(ctx, "RedisAI_version", "1.2.7");
  rm::InfoAddFieldLongLong(ctx, "low_level_API_version", 1);
  rm::InfoAddFieldLongLong(ctx, "rdb_version", 4);
  rm::InfoAddSection(ctx, "git");
  rm::InfoAddFieldCString(ctx, "git_sha", "polyserve");
  rm::InfoAddSection(ctx, "load_time_configs");
  rm::InfoAddFieldLongLong(ctx, "threads_per_queue", c.threads_per_queue);
  rm::InfoAddFieldLongLong(ctx, "inter_op_parallelism", c.inter_op_parallelism);
  rm::InfoAddFieldLongLong(ctx, "intra_op_parallelism", c.intra_op_parallelism);
  rm::InfoAddFieldLongLong(ctx, "model_execution_timeout", c.model_execution_timeout);
  rm::InfoAddFieldLongLong(ctx, "backend_memory_limit", c.backend_memory_limit);
  rm::InfoAddFieldLongLong(ctx, "torch_onednn", c.torch_onednn ? 1 : 0);
  rm::InfoAddSection(ctx, "backends_info");
  rm::InfoAddFieldCString(ctx, "Torch_version", "NA");
  rm::InfoAddSection(ctx, "cpu");
  rusage self{}, children{}, main_thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &main_thread);  // INFO runs on the main thread
  AddCpuField(ctx, "self_used_cpu_sys", self.ru_stime);
  AddCpuField(ctx, "self_used_cpu_user", self.ru_utime);
  AddCpuField(ctx, "children_used_cpu_sys", children.ru_stime);
  AddCpuField(ctx, "children_used_cpu_user", children.ru_utime);
  AddCpuField(ctx, "main_thread_used_cpu_sys", main_thread.ru_stime);
  AddCpuField(ctx, "main_thread_used_cpu_user", main_thread.ru_utime);
  for (const queues::WorkerCpu& w : queues::CpuUsage()) {
    std::string device = w.device;
    for (char& c : device) {
      if (c == ':') c = '_';  // INFO lines are `field:value`
    }
    std::string field = "queue_" + device + "_bthread_n" + std::to_string(w.index + 1) +
                        "_used_cpu_total";
    char value[32];
    std::snprintf(value, sizeof(value), "%.6f", w.seconds);
    rm::InfoAddFieldCString(ctx, field.c_str(), value);
  }
}

bool RegisterCommands(RedisModuleCtx* ctx) {
  for (const CommandSpec& c : kCommands) {
    if (rm::CreateCommand(ctx, c.name, c.func, c.flags, c.first_key, c.last_key, c.key_step) !=
        rm::OK)
      return false;
  }
  return true;
}

}  // namespace

}  // namespace rai

extern "C" __attribute__((visibility("default"))) int RedisModule_OnLoad(
    RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  using namespace rai;
  if (!rm::Init(ctx, "ai", kModuleVersion)) return rm::ERR;
  std::string bad;
  if (!ApplyLoadArgs(argv, argc, ModuleDir(), &bad)) {
    rm::Log(ctx, rm::kLogWarning, "ERR error processing argument: %s", bad.c_str());
    return rm::ERR;
  }
  std::string error;
  if (!torchb::SetThreads(config().intra_op_parallelism, config().inter_op_parallelism, &error)) {
    rm::Log(ctx, rm::kLogWarning, "%s", error.c_str());
    return rm::ERR;
  }
  torchb::UseOneDnn(config().torch_onednn);
  if (!keys::RegisterTypes(ctx) || !RegisterCommands(ctx)) return rm::ERR;
  exec::InstallCompletion();
  if (!queues::Ensure("CPU")) return rm::ERR;
  if (rm::SubscribeToServerEvent(ctx, rm::kEventShutdown, OnShutdown) != rm::OK) return rm::ERR;
  if (rm::RegisterInfoFunc(ctx, OnInfo) != rm::OK) return rm::ERR;
  return rm::OK;
}
