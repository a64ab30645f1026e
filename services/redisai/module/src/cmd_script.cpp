// AI.SCRIPTSTORE, AI.SCRIPTSET (deprecated), AI.SCRIPTGET and AI.SCRIPTDEL (spec §2.9-2.12).
#include "args.h"
#include "commands.h"
#include "errors.h"
#include "keys.h"
#include "queue.h"
#include "rm_api.h"

namespace rai::cmd {

namespace {

// The common tail of both store commands: build, queue, key type, then write.
int FinishScriptStore(RedisModuleCtx* ctx, RedisModuleString* keyname, std::string device,
                      std::string tag, std::string source, std::vector<std::string> eps) {
  std::string error;
  std::shared_ptr<Script> script = BuildScript(std::move(device), std::move(tag),
                                               std::move(source), std::move(eps), &error);
  if (!script) return err::ReplyError(ctx, error);
  if (!queues::Ensure(script->device)) return err::ReplyError(ctx, err::kQueueInit);
  {
    keys::Key probe(ctx, keyname, rm::READ);
    keys::Kind kind = probe.kind();
    if (kind != keys::Kind::Empty && kind != keys::Kind::Script)
      return err::ReplyError(ctx, err::kWrongType);
  }
  RegisterStats(script.get(), args::Str(keyname));
  keys::Key writer(ctx, keyname, rm::READ | rm::WRITE);
  writer.SetScript(std::move(script));
  rm::ReplicateVerbatim(ctx);
  return rm::ReplyWithSimpleString(ctx, "OK");
}

void ReplyBulk(RedisModuleCtx* ctx, std::string_view s) {
  rm::ReplyWithStringBuffer(ctx, s.data(), s.size());
}

}  // namespace

// AI.SCRIPTSTORE key device [TAG tag] ENTRY_POINTS n ep... SOURCE script
int ScriptStore(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 8) return err::WrongArity(ctx, argv[0]);
  std::string tag;
  int pos = 3;
  if (args::Is(argv[pos], "TAG")) {
    tag = args::Str(argv[pos + 1]);
    pos += 2;
  }
  if (pos >= argc || !args::Is(argv[pos], "ENTRY_POINTS"))
    return err::ReplyError(ctx, err::kMissingEntryPoints);
  unsigned long long n = 0;
  if (pos + 1 >= argc || !args::ParseUnsigned(argv[pos + 1], &n))
    return err::ReplyError(ctx, err::kEntryPointsCount);
  pos += 2;
  if (n > static_cast<unsigned long long>(argc - pos))
    return err::ReplyError(ctx, err::kMissingEntryPoints);
  std::vector<std::string> eps;
  for (unsigned long long i = 0; i < n; ++i) eps.push_back(args::Str(argv[pos++]));
  if (pos + 1 >= argc || !args::Is(argv[pos], "SOURCE"))
    return err::ReplyError(ctx, err::kMissingSource);
  // Anything after the source is ignored.
  return FinishScriptStore(ctx, argv[1], args::Str(argv[2]), std::move(tag),
                           args::Str(argv[pos + 1]), std::move(eps));
}

// AI.SCRIPTSET key device [TAG tag] SOURCE script
int ScriptSet(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 5 && argc != 7) return err::WrongArity(ctx, argv[0]);
  std::string tag;
  int pos = 3;
  if (argc == 7 && args::Is(argv[pos], "TAG")) {
    tag = args::Str(argv[pos + 1]);
    pos += 2;
  }
  if (pos + 2 != argc || !args::Is(argv[pos], "SOURCE"))
    return err::ReplyError(ctx, err::kMissingSource);
  return FinishScriptStore(ctx, argv[1], args::Str(argv[2]), std::move(tag),
                           args::Str(argv[pos + 1]), {});
}

// AI.SCRIPTGET key [META] [SOURCE]
int ScriptGet(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 2 || argc > 4) return err::WrongArity(ctx, argv[0]);
  keys::Key key(ctx, argv[1], rm::READ);
  keys::Kind kind = key.kind();
  if (kind == keys::Kind::Empty) return err::ReplyError(ctx, err::kScriptKeyEmpty);
  if (kind != keys::Kind::Script) return err::ReplyError(ctx, err::kWrongType);
  bool meta = false, source = false;
  for (int i = 2; i < argc; ++i) {
    if (args::Is(argv[i], "META")) meta = true;
    else if (args::Is(argv[i], "SOURCE")) source = true;  // unknown tokens are ignored
  }
  if (!meta && !source) meta = source = true;
  ScriptPtr s = key.script();
  if (!meta) {
    ReplyBulk(ctx, s->source);
    return rm::OK;
  }
  rm::ReplyWithArray(ctx, source ? 8 : 6);
  ReplyBulk(ctx, "device");
  ReplyBulk(ctx, s->device);
  ReplyBulk(ctx, "tag");
  ReplyBulk(ctx, s->tag);
  ReplyBulk(ctx, "Entry Points");
  rm::ReplyWithArray(ctx, static_cast<long>(s->entry_points.size()));
  for (const auto& ep : s->entry_points) ReplyBulk(ctx, ep);
  if (source) {
    ReplyBulk(ctx, "source");
    ReplyBulk(ctx, s->source);
  }
  return rm::OK;
}

// AI.SCRIPTDEL key
int ScriptDel(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 2) return err::WrongArity(ctx, argv[0]);
  {
    keys::Key probe(ctx, argv[1], rm::READ);
    keys::Kind kind = probe.kind();
    if (kind == keys::Kind::Empty) return err::ReplyError(ctx, err::kScriptKeyEmpty);
    if (kind != keys::Kind::Script) return err::ReplyError(ctx, err::kWrongType);
  }
  keys::Key key(ctx, argv[1], rm::READ | rm::WRITE);
  stats::Remove(key.script()->stats.get());
  key.Delete();
  rm::ReplicateVerbatim(ctx);
  return rm::ReplyWithSimpleString(ctx, "OK");
}

}  // namespace rai::cmd
