// Auto-batching rules (spec §4.5): which queued model steps may share a run, and how their
// inputs are concatenated and their outputs split along dim 0. Works on raw bytes, since all
// tensors are dense and row-major.
#pragma once

#include <vector>

#include "job.h"

namespace rai::batch {

// A step's batch size: dim 0 of its first input, or 0 if its inputs disagree on dim 0.
long long Size(const ModelStep& step);

// True when `other` may join a batch headed by `head`: same model object, same input count,
// and inputs agreeing in dtype, rank and every dimension but the first.
bool Compatible(const ModelStep& head, const ModelStep& other);

// Input i of the batch: the members' input i concatenated in order.
std::vector<TensorPtr> Concat(const std::vector<ModelStep*>& members);

// Splits whole-batch outputs back into the members. False if an output's dim 0 is not the
// batch total.
bool Split(const std::vector<TensorPtr>& outputs, const std::vector<ModelStep*>& members);

}  // namespace rai::batch
