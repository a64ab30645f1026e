// TORCH backend for scripts: compiling TorchScript sources and calling their functions.
#include <ATen/Context.h>
#include <torch/jit.h>

#include "args.h"
#include "errors.h"
#include "torch_module.h"

namespace rai::torchb {

namespace {

bool IsEntryPointSignature(const c10::FunctionSchema& schema) {
  const auto& a = schema.arguments();
  return a[0].type()->isSubtypeOf(*c10::ListType::ofTensors()) &&
         a[1].type()->isSubtypeOf(*c10::ListType::ofStrings()) &&
         a[2].type()->isSubtypeOf(*c10::ListType::ofStrings());
}

// Legacy mode: Tensor parameters take one input each, a List[Tensor] takes the rest.
bool BindLegacy(const c10::FunctionSchema& schema, const std::string& fn,
                const std::vector<at::Tensor>& inputs, std::vector<c10::IValue>* stack,
                std::string* err) {
  const auto& params = schema.arguments();
  if (params.size() > inputs.size()) {
    *err = "Wrong number of inputs provided to function: " + fn;
    return false;
  }
  size_t next = 0;
  for (const auto& p : params) {
    if (p.type()->kind() == c10::TypeKind::TensorType) {
      stack->emplace_back(inputs[next++]);
    } else if (p.type()->isSubtypeOf(*c10::ListType::ofTensors())) {
      c10::List<at::Tensor> rest;
      for (; next < inputs.size(); ++next) rest.push_back(inputs[next]);
      stack->emplace_back(std::move(rest));
    } else {
      *err = "Unsupported input type in function definition: " + fn;
      return false;
    }
  }
  return true;
}

}  // namespace

bool CheckScriptDevice(const std::string& device, std::string* err) {
  std::string up = args::Upper(device);
  if (up.rfind("CPU", 0) == 0) return true;
  if (up.rfind("GPU", 0) != 0) {
    *err = err::kUnsupportedDevice;
    return false;
  }
  if (!at::hasCUDA()) {
    *err = err::kNoCuda;
    return false;
  }
  return true;
}

bool CompileScript(const std::string& source, const std::vector<std::string>& entry_points,
                   std::shared_ptr<ScriptUnit>* out, std::string* err) {
  try {
    std::shared_ptr<torch::jit::CompilationUnit> cu = torch::jit::compile(source);
    for (const std::string& ep : entry_points) {
      torch::jit::Function* fn = cu->find_function(ep);
      if (fn == nullptr) {
        *err = "Function " + ep + " does not exist in the given script.";
        return false;
      }
      const auto& schema = fn->getSchema();
      if (schema.arguments().size() != 3) {
        *err = "Wrong number of inputs in function " + ep + ". Expected 3 but was " +
               std::to_string(schema.arguments().size());
        return false;
      }
      if (!IsEntryPointSignature(schema)) {
        *err = "Wrong inputs type in function " + ep +
               ". Expected signature similar to: def " + ep +
               "(tensors: List[Tensor], keys: List[str], args: List[str])";
        return false;
      }
    }
    *out = std::make_shared<ScriptUnit>(std::move(cu));
    return true;
  } catch (const std::exception& e) {
    *err = ErrorText(e);
    return false;
  }
}

bool RunScript(ScriptUnit& unit, const std::string& fn, bool entry_point,
               const std::vector<TensorPtr>& inputs, const std::vector<std::string>& keys,
               const std::vector<std::string>& args, long long expected_outputs,
               std::vector<TensorPtr>* outputs, std::string* err) {
  try {
    torch::NoGradGuard no_grad;
    torch::jit::Function* function = unit.cu().find_function(fn);
    if (function == nullptr) {
      *err = "Function does not exist: " + fn;
      return false;
    }
    std::vector<at::Tensor> tensors;
    for (const TensorPtr& in : inputs) {
      at::Tensor t;
      if (!ToTorch(*in, c10::Device(c10::kCPU), &t, err)) return false;
      tensors.push_back(std::move(t));
    }
    std::vector<c10::IValue> stack;
    if (entry_point) {
      c10::List<at::Tensor> tlist;
      for (const at::Tensor& t : tensors) tlist.push_back(t);
      c10::List<std::string> klist, alist;
      for (const auto& k : keys) klist.push_back(k);
      for (const auto& a : args) alist.push_back(a);
      stack.emplace_back(std::move(tlist));
      stack.emplace_back(std::move(klist));
      stack.emplace_back(std::move(alist));
    } else if (!BindLegacy(function->getSchema(), fn, tensors, &stack, err)) {
      return false;
    }
    c10::IValue result = (*function)(std::move(stack));
    outputs->clear();
    if (expected_outputs <= 0) return true;  // no OUTPUTS: the result is discarded
    return CollectOutputs(result, fn, expected_outputs, outputs, err);
  } catch (const std::exception& e) {
    *err = ErrorText(e);
    return false;
  }
}

}  // namespace rai::torchb
