// AI.INFO, AI._MODELSCAN, AI._SCRIPTSCAN and AI.CONFIG (spec §2.16-2.18).
#include "args.h"
#include "commands.h"
#include "config.h"
#include "errors.h"
#include "model.h"
#include "rm_api.h"
#include "stats.h"

namespace rai::cmd {

namespace {

void ReplyBulk(RedisModuleCtx* ctx, std::string_view s) {
  rm::ReplyWithStringBuffer(ctx, s.data(), s.size());
}

// Replies `*n` of `[key, tag]` for every registry entry of `type`.
int Scan(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, const char* type) {
  if (argc != 1) return err::WrongArity(ctx, argv[0]);
  rm::Log(ctx, rm::kLogWarning, "%s is experimental and might be removed",
          args::Str(argv[0]).c_str());
  std::vector<StatsPtr> found;
  for (const StatsPtr& s : stats::All()) {
    if (s->type == type) found.push_back(s);
  }
  rm::ReplyWithArray(ctx, static_cast<long>(found.size()));
  for (const StatsPtr& s : found) {
    rm::ReplyWithArray(ctx, 2);
    ReplyBulk(ctx, s->key);
    ReplyBulk(ctx, s->tag);
  }
  return rm::OK;
}

}  // namespace

// AI.INFO key [RESETSTAT]
int Info(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 2 || argc > 3) return err::WrongArity(ctx, argv[0]);
  StatsPtr s = stats::Find(args::Str(argv[1]));
  if (!s) return err::ReplyError(ctx, err::kNoRunInfo);
  if (argc == 3 && args::Is(argv[2], "RESETSTAT")) {
    s->Reset();
    return rm::ReplyWithSimpleString(ctx, "OK");
  }
  rm::ReplyWithArray(ctx, 18);
  ReplyBulk(ctx, "key");
  ReplyBulk(ctx, s->key);
  ReplyBulk(ctx, "type");
  ReplyBulk(ctx, s->type);
  ReplyBulk(ctx, "backend");
  ReplyBulk(ctx, s->backend);
  ReplyBulk(ctx, "device");
  ReplyBulk(ctx, s->device);
  ReplyBulk(ctx, "tag");
  ReplyBulk(ctx, s->tag);
  ReplyBulk(ctx, "duration");
  rm::ReplyWithLongLong(ctx, s->duration_us);
  ReplyBulk(ctx, "samples");
  rm::ReplyWithLongLong(ctx, s->type == "SCRIPT" ? -1 : s->samples.load());
  ReplyBulk(ctx, "calls");
  rm::ReplyWithLongLong(ctx, s->calls);
  ReplyBulk(ctx, "errors");
  rm::ReplyWithLongLong(ctx, s->errors);
  return rm::OK;
}

// AI._MODELSCAN
int ModelScan(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  return Scan(ctx, argv, argc, "MODEL");
}

// AI._SCRIPTSCAN
int ScriptScan(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  return Scan(ctx, argv, argc, "SCRIPT");
}

// AI.CONFIG BACKENDSPATH path | LOADBACKEND backend path | MODEL_CHUNK_SIZE n | GET name
int Config(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 2) return err::WrongArity(ctx, argv[0]);
  rai::Config& c = rai::config();
  if (args::Is(argv[1], "LOADBACKEND")) {
    if (argc < 4) return err::WrongArity(ctx, argv[0]);
    auto backend = ParseBackend(args::View(argv[2]));
    if (!backend) return err::ReplyError(ctx, err::kUnsupportedBackend);
    // TORCH is linked in and always loaded; the other backends do not exist here (README).
    if (*backend != Backend::TORCH) return err::ReplyError(ctx, err::kLoadBackend);
    return rm::ReplyWithSimpleString(ctx, "OK");
  }
  if (args::Is(argv[1], "BACKENDSPATH")) {
    if (argc < 3) return err::ReplyError(ctx, err::kConfigPathMissing);
    c.backends_path = args::Str(argv[2]);
    return rm::ReplyWithSimpleString(ctx, "OK");
  }
  if (args::Is(argv[1], "MODEL_CHUNK_SIZE")) {
    if (argc < 3) return err::ReplyError(ctx, err::kChunkMissing);
    long long n = 0;
    if (!args::ParseInt(argv[2], &n) || n <= 0) return err::ReplyError(ctx, err::kChunkInvalid);
    c.model_chunk_size = n;
    return rm::ReplyWithSimpleString(ctx, "OK");
  }
  if (args::Is(argv[1], "GET")) {
    if (argc < 3) return err::WrongArity(ctx, argv[0]);
    if (args::Is(argv[2], "BACKENDSPATH")) {
      ReplyBulk(ctx, c.backends_path);
      return rm::OK;
    }
    if (args::Is(argv[2], "MODEL_CHUNK_SIZE"))
      return rm::ReplyWithLongLong(ctx, c.model_chunk_size);
    return rm::ReplyWithNull(ctx);
  }
  return err::ReplyError(ctx, err::kUnsupportedSubcommand);
}

}  // namespace rai::cmd
