// AI.TENSORSET and AI.TENSORGET (spec §2.1, §2.2).
#include "args.h"
#include "commands.h"
#include "errors.h"
#include "keys.h"
#include "rm_api.h"
#include "tensor_io.h"

namespace rai::cmd {

// AI.TENSORSET key dtype [dim ...] [BLOB data | VALUES v ...]
int TensorSet(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 4) return err::WrongArity(ctx, argv[0]);
  {
    // Probe read-only: a key opened for writing is signalled as modified (WATCH) on close.
    keys::Key probe(ctx, argv[1], rm::READ);
    keys::Kind kind = probe.kind();
    if (kind != keys::Kind::Empty && kind != keys::Kind::Tensor)
      return err::ReplyError(ctx, err::kWrongType);
  }
  std::shared_ptr<Tensor> t;
  if (const char* error = tensor_io::Parse(argv + 2, argc - 2, &t))
    return err::ReplyError(ctx, error);
  keys::Key key(ctx, argv[1], rm::READ | rm::WRITE);
  key.SetTensor(std::move(t));
  rm::ReplicateVerbatim(ctx);
  return rm::ReplyWithSimpleString(ctx, "OK");
}

// AI.TENSORGET key [META] [BLOB|VALUES]
int TensorGet(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 2 || argc > 4) return err::WrongArity(ctx, argv[0]);
  keys::Key key(ctx, argv[1], rm::READ);
  keys::Kind kind = key.kind();
  if (kind == keys::Kind::Empty) return err::ReplyError(ctx, err::kTensorKeyEmpty);
  if (kind != keys::Kind::Tensor) return err::ReplyError(ctx, err::kWrongType);
  tensor_io::GetFormat format;
  if (const char* error = tensor_io::ParseFormat(argv + 2, argc - 2, &format))
    return err::ReplyError(ctx, error);
  tensor_io::Reply(ctx, *key.tensor(), format);
  return rm::OK;
}

}  // namespace rai::cmd
