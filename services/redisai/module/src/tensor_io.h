// Tensor arguments and replies shared by AI.TENSORSET / AI.TENSORGET and their DAG ops.
#pragma once

#include <memory>

#include "tensor.h"

struct RedisModuleCtx;
struct RedisModuleString;

namespace rai::tensor_io {

// Parses `dtype [dim ...] [BLOB data | VALUES v ...]` (argv[0] is the dtype) into a tensor.
// Returns the error text (spec §3 TENSORSET, from the dtype on) or nullptr.
const char* Parse(RedisModuleString** argv, int argc, std::shared_ptr<Tensor>* out);

struct GetFormat {
  bool meta = false;
  bool blob = false;
  bool values = false;
};

// Parses the TENSORGET flags; returns the error text or nullptr. No flags means META BLOB.
const char* ParseFormat(RedisModuleString** flags, int n, GetFormat* out);

// Replies a tensor in the TENSORGET layout chosen by `format` (spec §2.2).
void Reply(RedisModuleCtx* ctx, const Tensor& t, const GetFormat& format);

}  // namespace rai::tensor_io
