// Every command the module registers, one function each, named after the command.
//
// Each command checks in the same order: transaction refusal (execution commands), arity,
// key type, then each argument; the first failed check replies at once from errors.h.
#pragma once

struct RedisModuleCtx;
struct RedisModuleString;

namespace rai::cmd {

int TensorSet(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int TensorGet(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ModelStore(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ModelSet(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ModelGet(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ModelDel(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ModelExecute(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ModelRun(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ScriptStore(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ScriptSet(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ScriptGet(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ScriptDel(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ScriptExecute(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ScriptRun(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ScriptScan(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int DagExecute(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int DagExecuteRO(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int DagRun(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int DagRunRO(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int Info(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int ModelScan(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
int Config(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);

}  // namespace rai::cmd
