// Step bookkeeping of a job: moving through its steps and, for DAGs, its tensor versions.
#include "job.h"

namespace rai {

void Job::PrepareNext() {
  if (!dag || next >= steps.size()) return;
  std::visit(
      [this](auto& step) {
        step.inputs.clear();
        for (int slot : step.input_slots) step.inputs.push_back(dag->slots[slot]);
      },
      steps[next]);
}

void Job::Advance() {
  if (dag) {
    std::visit(
        [this](auto& step) {
          for (size_t i = 0; i < step.output_slots.size() && i < step.outputs.size(); ++i)
            dag->slots[step.output_slots[i]] = step.outputs[i];
        },
        steps[next]);
  }
  ++next;
  PrepareNext();
}

void Job::Fail(std::string text) {
  result = JobResult::Error;
  error = std::move(text);
  failed = next;
}

}  // namespace rai
