// A unit of queued work: one blocked client's request, made of one or more steps.
//
// AI.MODELEXECUTE and AI.SCRIPTEXECUTE are jobs of one step; a DAG is a job of several, with
// its tensor names resolved into versions (slots) while it was parsed. The worker runs the
// job's next step, then either finishes the job or puts it back at the front of its queue.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "model.h"
#include "script.h"
#include "tensor.h"

struct RedisModuleBlockedClient;

namespace rai {

using Clock = std::chrono::steady_clock;

struct ModelStep {
  ModelPtr model;
  std::vector<TensorPtr> inputs;   // snapshots taken while the command was parsed
  std::vector<int> input_slots;    // DAG only: the tensor versions read and written
  std::vector<int> output_slots;
  long long noutputs = 0;          // the OUTPUTS count the command gave
  std::vector<TensorPtr> outputs;  // filled by the worker, in model output order
};

struct ScriptStep {
  ScriptPtr script;
  std::string function;
  bool entry_point = false;        // called as fn(tensors, keys, args)
  std::vector<TensorPtr> inputs;
  std::vector<int> input_slots;    // DAG only, as for ModelStep
  std::vector<int> output_slots;
  std::vector<std::string> keys;   // KEYS and ARGS are passed as strings, unconverted
  std::vector<std::string> args;
  long long noutputs = 0;          // 0: the function's result is discarded
  std::vector<TensorPtr> outputs;
};

// The worker runs a job one step at a time.
using Step = std::variant<ModelStep, ScriptStep>;

inline const std::vector<TensorPtr>& StepOutputs(const Step& step) {
  return std::visit([](const auto& s) -> const std::vector<TensorPtr>& { return s.outputs; },
                    step);
}

enum class JobResult { Pending, Ok, Error, TimedOut };

// What a DAG adds to a job (spec §2.15). Every version of every tensor name is one slot:
// LOAD keys and TENSORSET ops fill theirs while parsing, run steps when they finish.
struct DagOp {
  enum class Kind { TensorSet, TensorGet, Run } kind = Kind::Run;
  size_t step = 0;  // Run: index into Job::steps
  int slot = -1;    // TensorGet: the version it reads
  bool meta = false, blob = false, values = false;  // TensorGet format
};

struct Dag {
  std::vector<TensorPtr> slots;
  std::vector<DagOp> ops;                            // one reply element each, in order
  std::vector<std::pair<std::string, int>> persist;  // key -> final version
};

struct Job {
  RedisModuleBlockedClient* client = nullptr;
  Clock::time_point enqueued;
  long long timeout_ms = 0;  // 0: no timeout
  std::vector<Step> steps;
  size_t next = 0;
  JobResult result = JobResult::Pending;
  std::string error;
  std::vector<std::string> output_keys;  // written on the main thread on success
  std::shared_ptr<Dag> dag;              // null for single commands
  size_t failed = static_cast<size_t>(-1);  // index of the step that failed

  bool Done() const { return result != JobResult::Pending || next >= steps.size(); }
  bool Expired(Clock::time_point now) const {
    return timeout_ms > 0 && now - enqueued > std::chrono::milliseconds(timeout_ms);
  }
  ModelStep* NextModelStep() {
    if (next >= steps.size()) return nullptr;
    return std::get_if<ModelStep>(&steps[next]);
  }

  // DAG: fills the next step's inputs from the current tensor versions.
  void PrepareNext();
  // The current step succeeded: keep its outputs (in slots for a DAG) and move on.
  void Advance();
  // The current step failed with `text`.
  void Fail(std::string text);
};

using JobPtr = std::shared_ptr<Job>;

}  // namespace rai
