// AI.SCRIPTEXECUTE and AI.SCRIPTRUN (deprecated) (spec §2.13, §2.14).
#include "args.h"
#include "commands.h"
#include "errors.h"
#include "execution.h"
#include "op_parse.h"
#include "rm_api.h"

namespace rai::cmd {

namespace {

// Snapshots the inputs (KT / W), blocks the client and queues a one-step job.
int SubmitScript(RedisModuleCtx* ctx, ops::ScriptOp& req) {
  const ScriptPtr& script = req.script;
  ScriptStep step;
  if (!exec::CaptureInputs(ctx, req.inputs.data(), static_cast<int>(req.inputs.size()),
                           &step.inputs))
    return rm::OK;
  auto job = std::make_shared<Job>();
  job->timeout_ms = req.timeout;
  step.script = script;
  step.function = args::Str(req.function);
  step.entry_point = script->IsEntryPoint(step.function);
  step.keys = std::move(req.keys);
  step.args = std::move(req.args);
  step.noutputs = static_cast<long long>(req.outputs.size());
  for (RedisModuleString* o : req.outputs) job->output_keys.push_back(args::Str(o));
  job->steps.emplace_back(std::move(step));
  return exec::Submit(ctx, script->device, job);
}

// COMMAND GETKEYS for SCRIPTEXECUTE: script key, and the KEYS, INPUTS and OUTPUTS items (Q9).
int ExecuteKeys(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc > 1) rm::KeyAtPos(ctx, 1);
  int pos = 3;
  while (pos + 1 < argc) {
    long long n = 0;
    bool keyed = args::Is(argv[pos], "KEYS") || args::Is(argv[pos], "INPUTS") ||
                 args::Is(argv[pos], "OUTPUTS");
    bool counted = keyed || args::Is(argv[pos], "ARGS");
    if (!counted || !args::ParseInt(argv[pos + 1], &n) || n < 0 || n > argc - pos - 2) break;
    if (keyed) {
      for (int i = 0; i < n; ++i) rm::KeyAtPos(ctx, pos + 2 + i);
    }
    pos += 2 + static_cast<int>(n);
  }
  return rm::OK;
}

// COMMAND GETKEYS for SCRIPTRUN: script key, every token after INPUTS but OUTPUTS, $ and a
// TIMEOUT with its value.
int RunKeys(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc > 1) rm::KeyAtPos(ctx, 1);
  int pos = 3;
  while (pos < argc && !args::Is(argv[pos], "INPUTS")) ++pos;
  for (++pos; pos < argc; ++pos) {
    if (args::Is(argv[pos], "OUTPUTS") || args::View(argv[pos]) == "$") continue;
    if (args::Is(argv[pos], "TIMEOUT")) {  // the parser takes it anywhere: no key, nor its value
      ++pos;
      continue;
    }
    rm::KeyAtPos(ctx, pos);
  }
  return rm::OK;
}

}  // namespace

// AI.SCRIPTEXECUTE key fn [KEYS n k...] [INPUTS n t...] [ARGS n a...] [OUTPUTS n o...] [TIMEOUT ms]
int ScriptExecute(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (rm::IsKeysPositionRequest(ctx)) return ExecuteKeys(ctx, argv, argc);
  if (exec::InTransaction(ctx)) return err::ReplyError(ctx, err::kTransaction);
  ops::ScriptOp op;
  if (!ops::ParseScriptExecute(ctx, argv, argc, false, &op)) return rm::OK;
  return SubmitScript(ctx, op);
}

// AI.SCRIPTRUN key fn [TIMEOUT ms] INPUTS in... [$ in...] OUTPUTS out...
int ScriptRun(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (rm::IsKeysPositionRequest(ctx)) return RunKeys(ctx, argv, argc);
  if (exec::InTransaction(ctx)) return err::ReplyError(ctx, err::kTransaction);
  ops::ScriptOp op;
  if (!ops::ParseScriptRun(ctx, argv, argc, false, &op)) return rm::OK;
  return SubmitScript(ctx, op);
}

}  // namespace rai::cmd
