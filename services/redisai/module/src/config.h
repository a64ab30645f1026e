// Module-wide settings: load-time arguments (spec §2.19) and what AI.CONFIG may change later.
#pragma once

#include <cstdint>
#include <string>

struct RedisModuleString;

namespace rai {

struct Config {
  long long threads_per_queue = 1;
  long long intra_op_parallelism = 0;  // 0: backend default
  long long inter_op_parallelism = 0;
  long long model_chunk_size = 511LL * 1024 * 1024;
  long long model_execution_timeout = 5000;  // ONNX only; stored and reported
  long long backend_memory_limit = 0;        // ONNX only; stored and reported
  std::string backends_path;
  // Module extension (README): largest tensor, in bytes, that a command may create.
  uint64_t tensor_max_bytes = 512ULL * 1024 * 1024;
  // Module extension (README): whether torch may run its operators through oneDNN.
  bool torch_onednn = true;
};

// Settings are written on the main thread only (load time, AI.CONFIG).
Config& config();

// Applies `KEY value` pairs given to --loadmodule. On failure fills `bad` with "<key> <value>"
// (or the lone key) and returns false; the module must then refuse to load.
bool ApplyLoadArgs(RedisModuleString** argv, int argc, const std::string& module_dir,
                   std::string* bad);

}  // namespace rai
