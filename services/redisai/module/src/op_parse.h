// Argument parsing of the execution commands, shared by their stand-alone forms and DAG ops.
//
// Each parser checks in spec order (§3), replies the first error itself and returns false.
// In a DAG (`dag` true) TIMEOUT is refused and SCRIPTEXECUTE may start with any section.
#pragma once

#include <string>
#include <vector>

#include "model.h"
#include "script.h"

struct RedisModuleCtx;
struct RedisModuleString;

namespace rai::ops {

struct ModelOp {
  ModelPtr model;
  std::vector<RedisModuleString*> inputs;
  std::vector<RedisModuleString*> outputs;
  long long timeout = 0;
};

struct ScriptOp {
  ScriptPtr script;
  RedisModuleString* function = nullptr;
  std::vector<std::string> keys;
  std::vector<RedisModuleString*> inputs;
  std::vector<std::string> args;
  std::vector<RedisModuleString*> outputs;
  long long timeout = 0;
};

// AI.MODELEXECUTE key INPUTS icount in... OUTPUTS ocount out... [TIMEOUT ms]
bool ParseModelExecute(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, bool dag,
                       ModelOp* out);
// AI.MODELRUN key [TIMEOUT ms] INPUTS in... OUTPUTS out...
bool ParseModelRun(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, bool dag,
                   ModelOp* out);
// AI.SCRIPTEXECUTE key fn [KEYS n k...] [INPUTS n t...] [ARGS n a...] [OUTPUTS n o...] [TIMEOUT ms]
bool ParseScriptExecute(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, bool dag,
                        ScriptOp* out);
// AI.SCRIPTRUN key fn [TIMEOUT ms] INPUTS in... [$ in...] OUTPUTS out...
bool ParseScriptRun(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, bool dag,
                    ScriptOp* out);

}  // namespace rai::ops
