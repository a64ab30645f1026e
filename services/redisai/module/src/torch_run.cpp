// TORCH backend: running forward, converting tensors between the module and libtorch.
#include <cstring>

#include "torch_module.h"

namespace rai::torchb {

bool ToTorch(const Tensor& t, c10::Device device, at::Tensor* out, std::string* err) {
  c10::ScalarType st;
  switch (t.dtype) {
    case DType::Float: st = at::kFloat; break;
    case DType::Double: st = at::kDouble; break;
    case DType::Int8: st = at::kChar; break;
    case DType::Int16: st = at::kShort; break;
    case DType::Int32: st = at::kInt; break;
    case DType::Int64: st = at::kLong; break;
    case DType::UInt8: st = at::kByte; break;
    case DType::Bool: st = at::kBool; break;
    case DType::UInt16: *err = "Unsupported kUInt bits 16"; return false;
    case DType::String: *err = "Unsupported code 7"; return false;
    default: *err = "Unsupported dtype"; return false;
  }
  // The snapshot is shared with the keyspace, so the model gets its own copy to mutate.
  void* data = const_cast<char*>(t.data.data());
  *out = at::from_blob(data, t.shape, at::TensorOptions().dtype(st)).clone().to(device);
  return true;
}

namespace {

bool FromTorch(const at::Tensor& in, TensorPtr* out, std::string* err) {
  auto t = std::make_shared<Tensor>();
  switch (in.scalar_type()) {
    case at::kFloat: t->dtype = DType::Float; break;
    case at::kDouble: t->dtype = DType::Double; break;
    case at::kChar: t->dtype = DType::Int8; break;
    case at::kShort: t->dtype = DType::Int16; break;
    case at::kInt: t->dtype = DType::Int32; break;
    case at::kLong: t->dtype = DType::Int64; break;
    case at::kByte: t->dtype = DType::UInt8; break;
    case at::kBool: t->dtype = DType::Bool; break;
    default:
      // Includes float16 (spec Q7: fail the run rather than store a nameless dtype).
      *err = std::string(c10::toString(in.scalar_type())) + " is not supported by dlpack";
      return false;
  }
  at::Tensor c = in.to(c10::kCPU).contiguous();
  t->shape.assign(c.sizes().begin(), c.sizes().end());
  t->data.resize(c.numel() * c.element_size());
  if (!t->data.empty()) std::memcpy(t->data.data(), c.data_ptr(), t->data.size());
  *out = std::move(t);
  return true;
}

bool Flatten(const c10::IValue& result, std::vector<at::Tensor>* out) {
  if (result.isTensor()) {
    out->push_back(result.toTensor());
    return true;
  }
  if (result.isTensorList()) {
    for (const at::Tensor& t : result.toTensorVector()) out->push_back(t);
    return true;
  }
  if (result.isList()) {
    for (const c10::IValue& v : result.toListRef()) {
      if (!v.isTensor()) return false;
      out->push_back(v.toTensor());
    }
    return true;
  }
  if (result.isTuple()) {
    for (const c10::IValue& v : result.toTupleRef().elements()) {
      if (!v.isTensor()) return false;
      out->push_back(v.toTensor());
    }
    return true;
  }
  return false;
}

}  // namespace

bool CollectOutputs(const c10::IValue& result, const std::string& fn, long long expected,
                    std::vector<TensorPtr>* outputs, std::string* err) {
  std::vector<at::Tensor> flat;
  if (!Flatten(result, &flat)) {
    *err = "Function returned non-tensor values" + fn;
    return false;
  }
  if (expected >= 0 && static_cast<long long>(flat.size()) != expected) {
    *err = "Function returned unexpected number of outputs - " + fn;
    return false;
  }
  outputs->clear();
  for (const at::Tensor& t : flat) {
    TensorPtr converted;
    if (!FromTorch(t, &converted, err)) return false;
    outputs->push_back(std::move(converted));
  }
  return true;
}

bool Run(Module& module, const std::vector<TensorPtr>& inputs, long long expected_outputs,
         std::vector<TensorPtr>* outputs, std::string* err) {
  try {
    torch::NoGradGuard no_grad;
    std::vector<c10::IValue> args;
    args.reserve(inputs.size());
    for (const TensorPtr& in : inputs) {
      at::Tensor t;
      if (!ToTorch(*in, module.device(), &t, err)) return false;
      args.emplace_back(std::move(t));
    }
    c10::IValue result = module.module().forward(std::move(args));
    return CollectOutputs(result, "forward", expected_outputs, outputs, err);
  } catch (const std::exception& e) {
    *err = ErrorText(e);
    return false;
  }
}

}  // namespace rai::torchb
