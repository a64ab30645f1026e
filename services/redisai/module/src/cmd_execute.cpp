// AI.MODELEXECUTE and AI.MODELRUN (deprecated) (spec §2.7, §2.8).
#include "args.h"
#include "commands.h"
#include "errors.h"
#include "execution.h"
#include "op_parse.h"
#include "rm_api.h"

namespace rai::cmd {

namespace {

// Snapshots the inputs (KT / W), blocks the client and queues a one-step job.
int SubmitModel(RedisModuleCtx* ctx, const ops::ModelOp& op) {
  ModelStep step;
  if (!exec::CaptureInputs(ctx, op.inputs.data(), static_cast<int>(op.inputs.size()),
                           &step.inputs))
    return rm::OK;
  auto job = std::make_shared<Job>();
  job->timeout_ms = op.timeout;
  step.model = op.model;
  step.noutputs = static_cast<long long>(op.outputs.size());
  job->steps.emplace_back(std::move(step));
  for (RedisModuleString* o : op.outputs) job->output_keys.push_back(args::Str(o));
  return exec::Submit(ctx, op.model->spec.device, job);
}

// COMMAND GETKEYS for MODELEXECUTE: model key, inputs, outputs.
int ExecuteKeys(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc > 1) rm::KeyAtPos(ctx, 1);
  long long n = 0;
  int pos = 2;
  for (const char* section : {"INPUTS", "OUTPUTS"}) {
    if (pos + 1 >= argc || !args::Is(argv[pos], section) || !args::ParseInt(argv[pos + 1], &n) ||
        n < 0 || n > argc - pos - 2)
      break;
    for (int i = 0; i < n; ++i) rm::KeyAtPos(ctx, pos + 2 + i);
    pos += 2 + static_cast<int>(n);
  }
  return rm::OK;
}

// COMMAND GETKEYS for MODELRUN: model key and every token after INPUTS except OUTPUTS.
int RunKeys(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc > 1) rm::KeyAtPos(ctx, 1);
  int pos = 2;
  while (pos < argc && !args::Is(argv[pos], "INPUTS")) ++pos;
  bool outputs_seen = false;
  for (++pos; pos < argc; ++pos) {
    if (!outputs_seen && args::Is(argv[pos], "OUTPUTS")) {
      outputs_seen = true;
      continue;
    }
    rm::KeyAtPos(ctx, pos);
  }
  return rm::OK;
}

}  // namespace

// AI.MODELEXECUTE key INPUTS icount in... OUTPUTS ocount out... [TIMEOUT ms]
int ModelExecute(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (rm::IsKeysPositionRequest(ctx)) return ExecuteKeys(ctx, argv, argc);
  if (exec::InTransaction(ctx)) return err::ReplyError(ctx, err::kTransaction);
  ops::ModelOp op;
  if (!ops::ParseModelExecute(ctx, argv, argc, false, &op)) return rm::OK;
  return SubmitModel(ctx, op);
}

// AI.MODELRUN key [TIMEOUT ms] INPUTS in... OUTPUTS out...
int ModelRun(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (rm::IsKeysPositionRequest(ctx)) return RunKeys(ctx, argv, argc);
  if (exec::InTransaction(ctx)) return err::ReplyError(ctx, err::kTransaction);
  ops::ModelOp op;
  if (!ops::ParseModelRun(ctx, argv, argc, false, &op)) return rm::OK;
  return SubmitModel(ctx, op);
}

}  // namespace rai::cmd
