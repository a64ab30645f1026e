// AI.DAGEXECUTE, AI.DAGEXECUTE_RO, AI.DAGRUN and AI.DAGRUN_RO (spec §2.15).
//
// Parsing happens on the main thread in three passes, each replying its first error: the
// header (LOAD keys are read here), the ops (models and scripts are looked up here, TENSORSET
// takes effect here), then the names, which turns every tensor name into a version (slot).
// The model and script ops become the steps of one job on the device of the first of them.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "args.h"
#include "commands.h"
#include "errors.h"
#include "execution.h"
#include "keys.h"
#include "op_parse.h"
#include "rm_api.h"
#include "tensor_io.h"

namespace rai::cmd {

namespace {

enum class Form { Execute, ExecuteRO, Run, RunRO };

bool IsRun(Form f) { return f == Form::Run || f == Form::RunRO; }
bool IsReadOnly(Form f) { return f == Form::ExecuteRO || f == Form::RunRO; }

const char* FormName(Form f) {
  switch (f) {
    case Form::Execute: return "AI.DAGEXECUTE";
    case Form::ExecuteRO: return "AI.DAGEXECUTE_RO";
    case Form::Run: return "AI.DAGRUN";
    case Form::RunRO: return "AI.DAGRUN_RO";
  }
  return "AI.DAGEXECUTE";
}

bool IsSeparator(const RedisModuleString* s) { return args::View(s) == "|>"; }

bool Fail(RedisModuleCtx* ctx, const std::string& text) {
  err::ReplyError(ctx, text);
  return false;
}

// One op after the syntax pass; names are still strings.
struct ParsedOp {
  DagOp::Kind kind = DagOp::Kind::Run;
  RedisModuleString* name = nullptr;  // TENSORSET / TENSORGET
  std::shared_ptr<Tensor> tensor;     // TENSORSET
  tensor_io::GetFormat format;        // TENSORGET
  Step step;                          // Run
  std::vector<RedisModuleString*> inputs;
  std::vector<RedisModuleString*> outputs;
};

void FromModelOp(const ops::ModelOp& m, ParsedOp* op) {
  ModelStep step;
  step.model = m.model;
  step.noutputs = static_cast<long long>(m.outputs.size());
  op->step = std::move(step);
  op->inputs = m.inputs;
  op->outputs = m.outputs;
}

void FromScriptOp(ops::ScriptOp& s, ParsedOp* op) {
  ScriptStep step;
  step.script = s.script;
  step.function = args::Str(s.function);
  step.entry_point = s.script->IsEntryPoint(step.function);
  step.keys = std::move(s.keys);
  step.args = std::move(s.args);
  step.noutputs = static_cast<long long>(s.outputs.size());
  op->step = std::move(step);
  op->inputs = s.inputs;
  op->outputs = s.outputs;
}

// The syntax pass of one op, argv[0] being its command name.
bool ParseOp(RedisModuleCtx* ctx, Form form, RedisModuleString** argv, int argc,
             ParsedOp* op) {
  std::string_view cmd = argc > 0 ? args::View(argv[0]) : std::string_view();
  if (args::EqualsIgnoreCase(cmd, "AI.TENSORSET")) {
    if (argc < 4) return Fail(ctx, err::kDagTensorSetArity);
    if (const char* error = tensor_io::Parse(argv + 2, argc - 2, &op->tensor))
      return Fail(ctx, error);
    op->kind = DagOp::Kind::TensorSet;
    op->name = argv[1];
    return true;
  }
  if (args::EqualsIgnoreCase(cmd, "AI.TENSORGET")) {
    if (argc < 2 || argc > 4)
      return Fail(ctx, err::kDagTensorGetArity);
    if (const char* error = tensor_io::ParseFormat(argv + 2, argc - 2, &op->format))
      return Fail(ctx, error);
    op->kind = DagOp::Kind::TensorGet;
    op->name = argv[1];
    return true;
  }
  if (args::EqualsIgnoreCase(cmd, "AI.MODELEXECUTE")) {
    if (IsRun(form))
      return Fail(ctx, err::kDagModelExecuteInRun);
    ops::ModelOp m;
    if (!ops::ParseModelExecute(ctx, argv, argc, true, &m)) return false;
    FromModelOp(m, op);
    return true;
  }
  if (args::EqualsIgnoreCase(cmd, "AI.MODELRUN")) {
    if (!IsRun(form))
      return Fail(ctx, err::kDagModelRunInExecute);
    ops::ModelOp m;
    if (!ops::ParseModelRun(ctx, argv, argc, true, &m)) return false;
    FromModelOp(m, op);
    return true;
  }
  if (args::EqualsIgnoreCase(cmd, "AI.SCRIPTEXECUTE")) {
    if (IsRun(form))
      return Fail(ctx, err::kDagScriptExecuteInRun);
    if (form == Form::ExecuteRO)
      return Fail(ctx, err::kDagScriptInReadOnly);
    ops::ScriptOp s;
    if (!ops::ParseScriptExecute(ctx, argv, argc, true, &s)) return false;
    FromScriptOp(s, op);
    return true;
  }
  if (args::EqualsIgnoreCase(cmd, "AI.SCRIPTRUN")) {
    if (!IsRun(form))
      return Fail(ctx, err::kDagScriptRunInExecute);
    ops::ScriptOp s;
    if (!ops::ParseScriptRun(ctx, argv, argc, true, &s)) return false;
    FromScriptOp(s, op);
    return true;
  }
  return Fail(ctx, err::kDagUnsupported);
}

struct Header {
  bool load = false, persist = false, routing = false, timeout = false;
  long long timeout_ms = 0;
  std::vector<std::pair<std::string, TensorPtr>> loaded;
  std::vector<std::string> persist_keys;
};

// Reads `KEYWORD n key...` counts; fills `count` and moves `pos` to the first key.
bool ReadCount(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, int* pos,
               const char* missing, const char* invalid, long long* count) {
  if (argc - *pos - 1 < 2) return Fail(ctx, missing);
  if (!args::ParseInt(argv[*pos + 1], count) || *count <= 0) return Fail(ctx, invalid);
  *pos += 2;
  return true;
}

// The header pass: everything before the first |>. Leaves `pos` on it (or at argc).
bool ParseHeader(RedisModuleCtx* ctx, Form form, RedisModuleString** argv, int argc, int* pos,
                 Header* h) {
  const std::string unexpected = err::kDagUnexpectedPrefix;
  while (*pos < argc && !IsSeparator(argv[*pos])) {
    RedisModuleString* tok = argv[*pos];
    long long n = 0;
    if (args::Is(tok, "LOAD") && !h->load) {
      h->load = true;
      if (!ReadCount(ctx, argv, argc, pos,
                     err::kDagLoadMissing,
                     err::kDagLoadCount, &n))
        return false;
      for (long long i = 0; i < n; ++i, ++*pos) {
        if (*pos >= argc)
          return Fail(ctx, err::kDagLoadKeys);
        keys::Key key(ctx, argv[*pos], rm::READ);
        keys::Kind kind = key.kind();
        if (kind == keys::Kind::Empty) return Fail(ctx, err::kTensorKeyEmpty);
        if (kind != keys::Kind::Tensor) return Fail(ctx, err::kWrongType);
        h->loaded.emplace_back(args::Str(argv[*pos]), key.tensor());
      }
    } else if (args::Is(tok, "PERSIST") && !h->persist) {
      if (IsReadOnly(form)) return Fail(ctx, err::kDagPersistInReadOnly);
      h->persist = true;
      if (!ReadCount(ctx, argv, argc, pos,
                     err::kDagPersistMissing,
                     err::kDagPersistCount, &n))
        return false;
      std::unordered_set<std::string> seen;
      for (long long i = 0; i < n; ++i, ++*pos) {
        if (*pos >= argc)
          return Fail(ctx, err::kDagPersistKeys);
        std::string key = args::Str(argv[*pos]);
        if (!seen.insert(key).second) return Fail(ctx, err::kDagPersistUnique);
        h->persist_keys.push_back(std::move(key));
      }
    } else if (args::Is(tok, "ROUTING") && !h->routing) {
      h->routing = true;
      if (*pos + 1 >= argc) return Fail(ctx, err::kDagRoutingMissing);
      *pos += 2;
    } else if (args::Is(tok, "TIMEOUT") && !h->timeout) {
      h->timeout = true;
      if (*pos + 1 >= argc) return Fail(ctx, err::kTimeoutMissing);
      if (!args::ParseInt(argv[*pos + 1], &h->timeout_ms)) return Fail(ctx, err::kTimeoutInvalid);
      *pos += 2;  // 0 or less means no timeout (spec Q5, as the reference)
    } else {
      return Fail(ctx, unexpected + args::Str(tok));
    }
  }
  if (IsSeparator(argv[argc - 1])) return Fail(ctx, unexpected + "|>");
  if (!IsRun(form) && !h->load && !h->persist && !h->routing)
    return Fail(ctx, err::kDagNoKeywords);
  if (*pos >= argc) return Fail(ctx, err::kDagEmpty);
  return true;
}

// The names pass: every name becomes a version; fills the job's DAG plan and steps.
bool ResolveNames(RedisModuleCtx* ctx, Header& h, std::vector<ParsedOp>& ops, Job* job) {
  Dag& dag = *job->dag;
  std::unordered_map<std::string, int> current;
  auto new_slot = [&dag](TensorPtr t) {
    dag.slots.push_back(std::move(t));
    return static_cast<int>(dag.slots.size() - 1);
  };
  for (auto& [name, tensor] : h.loaded) current[name] = new_slot(tensor);
  const char* missing_input = err::kDagInputMissing;
  for (ParsedOp& op : ops) {
    DagOp plan;
    plan.kind = op.kind;
    if (op.kind == DagOp::Kind::TensorSet) {
      current[args::Str(op.name)] = new_slot(op.tensor);
    } else if (op.kind == DagOp::Kind::TensorGet) {
      auto it = current.find(args::Str(op.name));
      if (it == current.end()) return Fail(ctx, missing_input);
      plan.slot = it->second;
      plan.meta = op.format.meta;
      plan.blob = op.format.blob;
      plan.values = op.format.values;
    } else {
      std::vector<int> in_slots, out_slots;
      for (RedisModuleString* in : op.inputs) {
        auto it = current.find(args::Str(in));
        if (it == current.end()) return Fail(ctx, missing_input);
        in_slots.push_back(it->second);
      }
      for (RedisModuleString* out : op.outputs) {
        int slot = new_slot(nullptr);
        current[args::Str(out)] = slot;
        out_slots.push_back(slot);
      }
      std::visit(
          [&](auto& step) {
            step.input_slots = in_slots;
            step.output_slots = out_slots;
          },
          op.step);
      plan.step = job->steps.size();
      job->steps.push_back(std::move(op.step));
    }
    dag.ops.push_back(plan);
  }
  for (const std::string& key : h.persist_keys) {
    auto it = current.find(key);
    if (it == current.end()) return Fail(ctx, err::kDagPersistKeyMissing);
    dag.persist.emplace_back(key, it->second);
  }
  return true;
}

const std::string& StepDevice(const Step& step) {
  if (const auto* m = std::get_if<ModelStep>(&step)) return m->model->spec.device;
  return std::get<ScriptStep>(step).script->device;
}

// An op whose first argument is a model's or a script's key.
bool OpensAKey(RedisModuleString* op) {
  return args::Is(op, "AI.MODELEXECUTE") || args::Is(op, "AI.SCRIPTEXECUTE") ||
         args::Is(op, "AI.MODELRUN") || args::Is(op, "AI.SCRIPTRUN");
}

// COMMAND GETKEYS: LOAD and PERSIST keys, the ROUTING value, and the key of each op that
// opens one (spec §4.8). Two departures from the spec's wording, so that a cluster routes
// every key the command opens: an op's name counts only right after `|>` (a tensor value
// spelled AI.MODELEXECUTE is no op), and DAGRUN's AI.MODELRUN and AI.SCRIPTRUN ops declare
// their key too.
int DagKeys(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  int pos = 1;
  while (pos < argc && !IsSeparator(argv[pos])) {
    long long n = 0;
    if ((args::Is(argv[pos], "LOAD") || args::Is(argv[pos], "PERSIST")) && pos + 1 < argc &&
        args::ParseInt(argv[pos + 1], &n) && n > 0) {
      n = std::min<long long>(n, argc - pos - 2);
      for (long long i = 0; i < n; ++i) rm::KeyAtPos(ctx, static_cast<int>(pos + 2 + i));
      pos += 2 + static_cast<int>(n);
    } else if (args::Is(argv[pos], "ROUTING") && pos + 1 < argc) {
      rm::KeyAtPos(ctx, pos + 1);
      pos += 2;
    } else {
      ++pos;
    }
  }
  for (; pos + 2 < argc; ++pos) {
    if (IsSeparator(argv[pos]) && OpensAKey(argv[pos + 1])) rm::KeyAtPos(ctx, pos + 2);
  }
  return rm::OK;
}

int DagCommand(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, Form form) {
  if (rm::IsKeysPositionRequest(ctx)) return DagKeys(ctx, argv, argc);
  if (exec::InTransaction(ctx)) return err::ReplyError(ctx, err::kTransaction);
  if (!IsRun(form) && argc < 6)
    return err::ReplyError(ctx, std::string(err::kDagMissingArgumentsPrefix) + FormName(form) +
                                    "' command");
  if (IsRun(form) && argc < 4)
    return err::ReplyError(ctx, std::string(err::kArityPrefix) + FormName(form) +
                                    "' command");
  int pos = 1;
  Header header;
  if (!ParseHeader(ctx, form, argv, argc, &pos, &header)) return rm::OK;

  std::vector<ParsedOp> ops;
  while (pos < argc) {
    int start = pos + 1;
    int end = start;
    while (end < argc && !IsSeparator(argv[end])) ++end;
    ops.emplace_back();
    if (!ParseOp(ctx, form, argv + start, end - start, &ops.back())) return rm::OK;
    pos = end;
  }

  auto job = std::make_shared<Job>();
  job->dag = std::make_shared<Dag>();
  if (!ResolveNames(ctx, header, ops, job.get())) return rm::OK;
  job->timeout_ms = header.timeout_ms > 0 ? header.timeout_ms : 0;
  if (job->steps.empty()) {
    job->result = JobResult::Ok;  // only TENSORSET / TENSORGET: nothing to queue
    return exec::ReplyDag(ctx, *job);
  }
  job->PrepareNext();
  return exec::Submit(ctx, StepDevice(job->steps.front()), job);
}

}  // namespace

// AI.DAGEXECUTE [LOAD n key...] [PERSIST n key...] [ROUTING key] [TIMEOUT ms] |> op [|> op ...]
int DagExecute(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  return DagCommand(ctx, argv, argc, Form::Execute);
}

// AI.DAGEXECUTE_RO [LOAD n key...] [ROUTING key] [TIMEOUT ms] |> op [|> op ...]
int DagExecuteRO(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  return DagCommand(ctx, argv, argc, Form::ExecuteRO);
}

// AI.DAGRUN [LOAD n key...] [PERSIST n key...] [TIMEOUT ms] |> op [|> op ...]
int DagRun(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  return DagCommand(ctx, argv, argc, Form::Run);
}

// AI.DAGRUN_RO [LOAD n key...] [TIMEOUT ms] |> op [|> op ...]
int DagRunRO(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  return DagCommand(ctx, argv, argc, Form::RunRO);
}

}  // namespace rai::cmd
