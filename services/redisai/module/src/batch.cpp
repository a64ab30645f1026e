// Implementation of the auto-batching rules.
#include "batch.h"

namespace rai::batch {

long long Size(const ModelStep& step) {
  if (step.inputs.empty() || step.inputs[0]->shape.empty()) return 0;
  int64_t d0 = step.inputs[0]->shape[0];
  for (const TensorPtr& t : step.inputs) {
    if (t->shape.empty() || t->shape[0] != d0) return 0;
  }
  return d0;
}

bool Compatible(const ModelStep& head, const ModelStep& other) {
  if (head.model.get() != other.model.get()) return false;
  if (head.inputs.size() != other.inputs.size()) return false;
  if (head.noutputs != other.noutputs) return false;
  for (size_t i = 0; i < head.inputs.size(); ++i) {
    const Tensor& a = *head.inputs[i];
    const Tensor& b = *other.inputs[i];
    if (a.dtype != b.dtype || a.dtype == DType::String) return false;
    if (a.shape.size() != b.shape.size() || a.shape.empty()) return false;
    for (size_t d = 1; d < a.shape.size(); ++d) {
      if (a.shape[d] != b.shape[d]) return false;
    }
  }
  return true;
}

std::vector<TensorPtr> Concat(const std::vector<ModelStep*>& members) {
  std::vector<TensorPtr> out;
  size_t ninputs = members[0]->inputs.size();
  for (size_t i = 0; i < ninputs; ++i) {
    auto t = std::make_shared<Tensor>();
    const Tensor& first = *members[0]->inputs[i];
    t->dtype = first.dtype;
    t->shape = first.shape;
    t->shape[0] = 0;
    size_t bytes = 0;
    for (const ModelStep* m : members) bytes += m->inputs[i]->data.size();
    t->data.reserve(bytes);
    for (const ModelStep* m : members) {
      t->shape[0] += m->inputs[i]->shape[0];
      t->data += m->inputs[i]->data;
    }
    out.push_back(std::move(t));
  }
  return out;
}

bool Split(const std::vector<TensorPtr>& outputs, const std::vector<ModelStep*>& members) {
  long long total = 0;
  for (const ModelStep* m : members) total += Size(*m);
  for (const TensorPtr& o : outputs) {
    if (o->shape.empty() || o->shape[0] != total) return false;
  }
  for (ModelStep* m : members) m->outputs.clear();
  for (const TensorPtr& o : outputs) {
    size_t row_bytes = total == 0 ? 0 : o->data.size() / static_cast<size_t>(total);
    size_t offset = 0;
    for (ModelStep* m : members) {
      long long rows = Size(*m);
      auto slice = std::make_shared<Tensor>();
      slice->dtype = o->dtype;
      slice->shape = o->shape;
      slice->shape[0] = rows;
      slice->data = o->data.substr(offset, row_bytes * static_cast<size_t>(rows));
      offset += slice->data.size();
      m->outputs.push_back(std::move(slice));
    }
  }
  return true;
}

}  // namespace rai::batch
