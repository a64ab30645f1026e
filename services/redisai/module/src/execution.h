// Shared main-thread plumbing of the execution commands (models now, scripts, DAGs later).
#pragma once

#include <string>
#include <vector>

#include "job.h"

struct RedisModuleCtx;
struct RedisModuleString;

namespace rai::exec {

// True inside MULTI/EXEC or a Lua script, where execution commands are refused (label TX).
bool InTransaction(RedisModuleCtx* ctx);

// Reads each input key into a snapshot; on a missing key (KT) or another type (W) replies and
// returns false.
bool CaptureInputs(RedisModuleCtx* ctx, RedisModuleString* const* names, int n,
                   std::vector<TensorPtr>* out);

// Blocks the client and queues `job` on `device`'s queue; the reply comes from the worker.
int Submit(RedisModuleCtx* ctx, const std::string& device, const JobPtr& job);

// Replies a DAG's `*N` result and writes its PERSIST keys (spec §2.15).
int ReplyDag(RedisModuleCtx* ctx, const Job& job);

// Hands finished jobs back to the main thread; installed as the queues' completion hook.
void InstallCompletion();

}  // namespace rai::exec
