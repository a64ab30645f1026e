// TORCH backend: loading TorchScript blobs, reading their signature, global thread and oneDNN
// settings.
#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <sstream>

#include "args.h"
#include "errors.h"
#include "torch_module.h"

namespace rai::torchb {

namespace {

// Output count from forward's declared return type (spec §5.1).
long long OutputCount(const c10::FunctionSchema& schema) {
  if (schema.returns().size() != 1) return 0;
  const c10::TypePtr& type = schema.returns()[0].type();
  if (type->kind() == c10::TypeKind::TensorType) return 1;
  if (auto tuple = type->cast<c10::TupleType>()) {
    long long n = 0;
    for (const auto& el : tuple->elements()) {
      if (el->kind() == c10::TypeKind::TensorType) ++n;
    }
    return n;
  }
  if (auto list = type->cast<c10::ListType>()) {
    // Deviation (README): an unsized List[Tensor] is accepted; its length is checked per run.
    if (list->getElementType()->kind() == c10::TypeKind::TensorType) return -1;
  }
  return 0;
}

bool ParseDevice(const std::string& device, c10::Device* out, std::string* err) {
  std::string up = args::Upper(device);
  if (up.rfind("CPU", 0) == 0) {
    *out = c10::Device(c10::kCPU);
    return true;
  }
  if (!at::hasCUDA()) {
    *err = err::kNoCuda;
    return false;
  }
  long long index = -1;
  if (up.size() > 4 && !args::ParseInt(std::string_view(up).substr(4), &index)) index = 0;
  *out = index < 0 ? c10::Device(c10::kCUDA) : c10::Device(c10::kCUDA, static_cast<int8_t>(index));
  return true;
}

}  // namespace

bool Load(const std::string& blob, const std::string& device, Loaded* out, std::string* err) {
  c10::Device dev(c10::kCPU);
  if (!ParseDevice(device, &dev, err)) return false;
  try {
    std::istringstream stream(blob);
    torch::jit::Module m = torch::jit::load(stream, dev);
    const auto& schema = m.get_method("forward").function().getSchema();
    out->input_names.clear();
    for (size_t i = 1; i < schema.arguments().size(); ++i)
      out->input_names.push_back(schema.arguments()[i].name());
    out->output_count = OutputCount(schema);
    out->module = std::make_shared<Module>(std::move(m), dev);
    return true;
  } catch (const std::exception& e) {
    *err = ErrorText(e);
    return false;
  }
}

void InitWorkerThread() {
  // OpenMP and MKL keep their thread counts per calling thread: apply the process-wide
  // INTRA_OP_PARALLELISM setting to this worker too, as ATen asks of new threads.
  at::init_num_threads();
}

void UseOneDnn(bool enabled) {
  // Process-wide, read by each operator call: libtorch runs a convolution of more than one
  // input through oneDNN, whose fixed cost a call outweighs small inputs' work.
  at::globalContext().setUserEnabledMkldnn(enabled);
}

bool SetThreads(long long intra, long long inter, std::string* err) {
  try {
    if (inter > 0) at::set_num_interop_threads(static_cast<int>(inter));
  } catch (const std::exception&) {
    *err = "Cannot set number of inter-op threads after parallel work has started";
    return false;
  }
  try {
    if (intra > 0) at::set_num_threads(static_cast<int>(intra));
  } catch (const std::exception&) {
    *err = "Cannot set number of intra-op threads after parallel work has started";
    return false;
  }
  return true;
}

}  // namespace rai::torchb
