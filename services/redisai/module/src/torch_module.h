// Definition of torchb::Module, shared by the two libtorch translation units only.
#pragma once

#include <torch/script.h>

#include <string>

#include "torch_backend.h"

namespace rai::torchb {

class Module {
 public:
  Module(torch::jit::Module m, c10::Device device) : module_(std::move(m)), device_(device) {}
  torch::jit::Module& module() { return module_; }
  c10::Device device() const { return device_; }

 private:
  torch::jit::Module module_;
  c10::Device device_;
};

class ScriptUnit {
 public:
  explicit ScriptUnit(std::shared_ptr<torch::jit::CompilationUnit> cu) : cu_(std::move(cu)) {}
  torch::jit::CompilationUnit& cu() { return *cu_; }

 private:
  std::shared_ptr<torch::jit::CompilationUnit> cu_;
};

// Shared by models and scripts (torch_run.cpp).
bool ToTorch(const Tensor& t, c10::Device device, at::Tensor* out, std::string* err);
// The tensors `fn` returned, flattened and converted into `outputs` (replacing what was
// there); `expected` < 0 accepts any count. On failure sets `err` to the spec's text.
bool CollectOutputs(const c10::IValue& result, const std::string& fn, long long expected,
                    std::vector<TensorPtr>* outputs, std::string* err);

// Torch exception text without its C++ backtrace.
inline std::string ErrorText(const std::exception& e) {
  if (const auto* ce = dynamic_cast<const c10::Error*>(&e)) return ce->what_without_backtrace();
  return e.what();
}

}  // namespace rai::torchb
