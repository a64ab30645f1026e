// Argument parsing of AI.MODELEXECUTE, AI.MODELRUN, AI.SCRIPTEXECUTE and AI.SCRIPTRUN.
#include "op_parse.h"

#include "args.h"
#include "errors.h"
#include "keys.h"
#include "rm_api.h"

namespace rai::ops {

namespace {

bool Fail(RedisModuleCtx* ctx, const std::string& text) {
  err::ReplyError(ctx, text);
  return false;
}

// Opens the model key: KM / W replied here, nullptr then.
ModelPtr OpenModel(RedisModuleCtx* ctx, RedisModuleString* name) {
  keys::Key key(ctx, name, rm::READ);
  keys::Kind kind = key.kind();
  if (kind == keys::Kind::Empty) {
    err::ReplyError(ctx, err::kModelKeyEmpty);
    return nullptr;
  }
  if (kind != keys::Kind::Model) {
    err::ReplyError(ctx, err::kWrongType);
    return nullptr;
  }
  return key.model();
}

// Opens the script key: KS / W replied here, nullptr then.
ScriptPtr OpenScript(RedisModuleCtx* ctx, RedisModuleString* name) {
  keys::Key key(ctx, name, rm::READ);
  keys::Kind kind = key.kind();
  if (kind == keys::Kind::Empty) {
    err::ReplyError(ctx, err::kScriptKeyEmpty);
    return nullptr;
  }
  if (kind != keys::Kind::Script) {
    err::ReplyError(ctx, err::kWrongType);
    return nullptr;
  }
  return key.script();
}

// One counted section of SCRIPTEXECUTE (INPUTS, ARGS or OUTPUTS) at argv[*pos].
struct Section {
  const char* name;
  const char* count_error;
  const char* items_error;
  bool seen = false;
};

}  // namespace

// AI.MODELEXECUTE key INPUTS icount in... OUTPUTS ocount out... [TIMEOUT ms]
bool ParseModelExecute(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, bool dag,
                       ModelOp* out) {
  if (argc < 8) return Fail(ctx, err::kExecuteArity);
  out->model = OpenModel(ctx, argv[1]);
  if (!out->model) return false;
  const ModelPtr& model = out->model;

  if (!args::Is(argv[2], "INPUTS")) return Fail(ctx, err::kInputsNotSpecified);
  long long nin = 0;
  if (!args::ParseInt(argv[3], &nin)) return Fail(ctx, err::kInputCountArg);
  if (nin <= 0) return Fail(ctx, err::kInputCountPositive);
  if (nin != model->ninputs) return Fail(ctx, err::kInputsVsModel);
  if (nin > argc - 4) return Fail(ctx, err::kInputKeysArgs);
  int in_pos = 4;
  int pos = in_pos + static_cast<int>(nin);

  if (pos >= argc || !args::Is(argv[pos], "OUTPUTS"))
    return Fail(ctx, err::kOutputsNotSpecified);
  long long nout = 0;
  if (pos + 1 >= argc || !args::ParseInt(argv[pos + 1], &nout))
    return Fail(ctx, err::kOutputCountArg);
  if (nout <= 0) return Fail(ctx, err::kOutputCountPositive);
  if (model->noutputs >= 0 && nout != model->noutputs)
    return Fail(ctx, err::kOutputsVsModel);
  if (nout > argc - pos - 2) return Fail(ctx, err::kOutputKeysArgs);
  int out_pos = pos + 2;
  pos = out_pos + static_cast<int>(nout);

  if (pos < argc) {
    if (!args::Is(argv[pos], "TIMEOUT"))
      return Fail(ctx, err::kInvalidArgumentPrefix + args::Str(argv[pos]));
    if (dag) return Fail(ctx, err::kDagTimeout);
    if (pos + 1 >= argc) return Fail(ctx, err::kTimeoutMissing);
    if (!args::ParseInt(argv[pos + 1], &out->timeout) || out->timeout <= 0)
      return Fail(ctx, err::kTimeoutInvalid);
    if (pos + 2 < argc)
      return Fail(ctx, err::kInvalidArgumentPrefix + args::Str(argv[pos + 2]));
  }

  out->inputs.assign(argv + in_pos, argv + in_pos + nin);
  out->outputs.assign(argv + out_pos, argv + out_pos + nout);
  return true;
}

// AI.MODELRUN key [TIMEOUT ms] INPUTS in... OUTPUTS out...
bool ParseModelRun(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, bool dag,
                   ModelOp* out) {
  if (argc < 6) return Fail(ctx, err::kRunArity);
  out->model = OpenModel(ctx, argv[1]);
  if (!out->model) return false;
  const ModelPtr& model = out->model;

  int pos = 2;
  if (args::Is(argv[pos], "TIMEOUT")) {
    if (dag) return Fail(ctx, err::kDagTimeout);
    if (!args::ParseInt(argv[pos + 1], &out->timeout) || out->timeout <= 0)
      return Fail(ctx, err::kTimeoutInvalid);
    pos += 2;
  }
  if (!args::Is(argv[pos], "INPUTS")) return Fail(ctx, err::kInputsNotSpecified);
  int in_pos = pos + 1;
  int out_kw = in_pos;
  while (out_kw < argc && !args::Is(argv[out_kw], "OUTPUTS")) ++out_kw;
  int nin = out_kw - in_pos;
  int out_pos = out_kw < argc ? out_kw + 1 : argc;
  int nout = argc - out_pos;
  if (nin != model->ninputs) return Fail(ctx, err::kInputsVsModel);
  if (nout == 0 || (model->noutputs >= 0 && nout != model->noutputs))
    return Fail(ctx, err::kOutputsVsModel);

  out->inputs.assign(argv + in_pos, argv + in_pos + nin);
  out->outputs.assign(argv + out_pos, argv + out_pos + nout);
  return true;
}

// AI.SCRIPTEXECUTE key fn [KEYS n k...] [INPUTS n t...] [ARGS n a...] [OUTPUTS n o...] [TIMEOUT ms]
bool ParseScriptExecute(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, bool dag,
                        ScriptOp* out) {
  if (argc < 3) return Fail(ctx, err::kScriptExecuteArity);
  out->script = OpenScript(ctx, argv[1]);
  if (!out->script) return false;
  out->function = argv[2];
  // A bare `key fn` gets the same error as a wrong first section (spec Q8).
  if (!dag && (argc == 3 || (!args::Is(argv[3], "KEYS") && !args::Is(argv[3], "INPUTS"))))
    return Fail(ctx, err::kKeysOrInputsFirst);

  ScriptOp& req = *out;
  bool keys_seen = false;
  Section inputs{"INPUTS", err::kScriptInputsCount, err::kScriptInputsArgs};
  Section argsec{"ARGS", err::kScriptArgsCount, err::kScriptArgsArgs};
  Section outputs{"OUTPUTS", err::kScriptOutputsCount, err::kScriptOutputsArgs};
  int pos = 3;
  while (pos < argc) {
    RedisModuleString* tok = argv[pos];
    if (args::Is(tok, "KEYS")) {
      if (keys_seen)
        return Fail(ctx, err::kScriptSecondKeys);
      keys_seen = true;
      if (argc - pos - 1 < 2) return Fail(ctx, err::kMissingAfterKeys);
      long long n = 0;
      if (!args::ParseInt(argv[pos + 1], &n) || n <= 0)
        return Fail(ctx, err::kKeysCount);
      if (n > argc - pos - 2) return Fail(ctx, err::kKeysArgs);
      for (long long i = 0; i < n; ++i) req.keys.push_back(args::Str(argv[pos + 2 + i]));
      pos += 2 + static_cast<int>(n);
      continue;
    }
    Section* section = args::Is(tok, "INPUTS")    ? &inputs
                       : args::Is(tok, "ARGS")    ? &argsec
                       : args::Is(tok, "OUTPUTS") ? &outputs
                                                  : nullptr;
    if (section) {
      if (section->seen)
        return Fail(ctx, err::ScriptSecondSection(section->name));
      section->seen = true;
      if (pos + 1 >= argc) return Fail(ctx, err::kScriptInvalidArgs);
      long long n = 0;
      if (!args::ParseInt(argv[pos + 1], &n) || n < 0)
        return Fail(ctx, section->count_error);
      if (n > argc - pos - 2) return Fail(ctx, section->items_error);
      for (long long i = 0; i < n; ++i) {
        RedisModuleString* item = argv[pos + 2 + i];
        if (section == &inputs) req.inputs.push_back(item);
        else if (section == &outputs) req.outputs.push_back(item);
        else req.args.push_back(args::Str(item));
      }
      pos += 2 + static_cast<int>(n);
      continue;
    }
    if (args::Is(tok, "TIMEOUT")) {
      if (dag) return Fail(ctx, err::kDagTimeout);
      if (pos + 1 >= argc) return Fail(ctx, err::kScriptTimeoutMissing);
      if (!args::ParseInt(argv[pos + 1], &req.timeout) || req.timeout <= 0)
        return Fail(ctx, err::kTimeoutInvalid);
      if (pos + 2 < argc) return Fail(ctx, err::kScriptAfterTimeout);
      pos += 2;
      continue;
    }
    return Fail(ctx, err::kScriptUnexpectedPrefix + args::Str(tok));
  }
  return true;
}

// AI.SCRIPTRUN key fn [TIMEOUT ms] INPUTS in... [$ in...] OUTPUTS out...
bool ParseScriptRun(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, bool dag,
                    ScriptOp* out) {
  if (argc < 3) return Fail(ctx, err::kScriptRunArity);
  out->script = OpenScript(ctx, argv[1]);
  if (!out->script) return false;
  out->function = argv[2];

  enum class In { None, Inputs, Outputs } state = In::None;
  bool timeout_seen = false, variadic_seen = false;
  ScriptOp& req = *out;
  for (int pos = 3; pos < argc; ++pos) {
    RedisModuleString* tok = argv[pos];
    if (args::Is(tok, "TIMEOUT")) {
      if (dag) return Fail(ctx, err::kDagTimeout);
      if (timeout_seen) return Fail(ctx, err::kRunSecondTimeout);
      timeout_seen = true;
      if (pos + 1 >= argc || !args::ParseInt(argv[pos + 1], &req.timeout) || req.timeout <= 0)
        return Fail(ctx, err::kTimeoutInvalid);
      ++pos;
    } else if (args::Is(tok, "INPUTS")) {
      if (state == In::Outputs) return Fail(ctx, err::kRunInputsAfterOutputs);
      if (state == In::Inputs) return Fail(ctx, err::kRunSecondInputs);
      state = In::Inputs;
    } else if (args::Is(tok, "OUTPUTS")) {
      if (state == In::Outputs) return Fail(ctx, err::kRunSecondOutputs);
      state = In::Outputs;
    } else if (args::View(tok) == "$") {
      // Accepted once inside the inputs and then ignored (spec §2.14).
      if (state != In::Inputs) return Fail(ctx, err::kRunVariadicOutside);
      if (variadic_seen) return Fail(ctx, err::kRunSecondVariadic);
      variadic_seen = true;
    } else if (state == In::Inputs) {
      req.inputs.push_back(tok);
    } else if (state == In::Outputs) {
      req.outputs.push_back(tok);
    } else {
      return Fail(ctx, err::kRunUnknown);
    }
  }
  return true;
}

}  // namespace rai::ops
