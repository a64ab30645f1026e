// Load-time argument parsing for the settings in config.h.
#include "config.h"

#include <vector>

#include "args.h"

namespace rai {

Config& config() {
  static Config* instance = new Config();  // never destroyed: worker threads may outlive exit
  return *instance;
}

namespace {

bool Positive(const RedisModuleString* v, long long* out, long long min = 1) {
  long long n = 0;
  if (!args::ParseInt(v, &n) || n < min) return false;
  *out = n;
  return true;
}

bool ApplyOne(std::string_view key, const RedisModuleString* value) {
  Config& c = config();
  if (args::EqualsIgnoreCase(key, "THREADS_PER_QUEUE"))
    return Positive(value, &c.threads_per_queue);
  if (args::EqualsIgnoreCase(key, "INTRA_OP_PARALLELISM"))
    return Positive(value, &c.intra_op_parallelism);
  if (args::EqualsIgnoreCase(key, "INTER_OP_PARALLELISM"))
    return Positive(value, &c.inter_op_parallelism);
  if (args::EqualsIgnoreCase(key, "MODEL_CHUNK_SIZE")) return Positive(value, &c.model_chunk_size);
  if (args::EqualsIgnoreCase(key, "MODEL_EXECUTION_TIMEOUT"))
    return Positive(value, &c.model_execution_timeout, 1000);
  if (args::EqualsIgnoreCase(key, "BACKEND_MEMORY_LIMIT"))
    return Positive(value, &c.backend_memory_limit);
  if (args::EqualsIgnoreCase(key, "TENSOR_MAX_BYTES")) {
    long long n = 0;
    if (!Positive(value, &n)) return false;
    c.tensor_max_bytes = static_cast<uint64_t>(n);
    return true;
  }
  if (args::EqualsIgnoreCase(key, "TORCH_ONEDNN")) {
    long long n = 0;
    if (!args::ParseInt(value, &n) || (n != 0 && n != 1)) return false;
    c.torch_onednn = n == 1;
    return true;
  }
  // TORCH is built in, so a path for it is accepted and ignored; the other backends do not
  // exist in this module and cannot be loaded.
  if (args::EqualsIgnoreCase(key, "TORCH")) return true;
  return false;
}

}  // namespace

bool ApplyLoadArgs(RedisModuleString** argv, int argc, const std::string& module_dir,
                   std::string* bad) {
  Config& c = config();
  c.backends_path = module_dir + "/backends";
  if (argc % 2 != 0) {
    *bad = args::Str(argv[argc - 1]);
    return false;
  }
  // BACKENDSPATH first, so that relative backend paths could be resolved against it.
  for (int i = 0; i < argc; i += 2) {
    if (args::Is(argv[i], "BACKENDSPATH")) c.backends_path = args::Str(argv[i + 1]);
  }
  for (int i = 0; i < argc; i += 2) {
    if (args::Is(argv[i], "BACKENDSPATH")) continue;
    if (!ApplyOne(args::View(argv[i]), argv[i + 1])) {
      *bad = args::Str(argv[i]) + " " + args::Str(argv[i + 1]);
      return false;
    }
  }
  return true;
}

}  // namespace rai
