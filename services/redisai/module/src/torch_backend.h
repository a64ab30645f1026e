// The TORCH backend seen from the rest of the module, without any libtorch header.
//
// Only torch_load.cpp and torch_run.cpp include libtorch; everything else talks to this
// interface, which keeps compile times down and the torch surface in one place.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tensor.h"

namespace rai::torchb {

class Module;  // a loaded TorchScript module

struct Loaded {
  std::shared_ptr<Module> module;
  std::vector<std::string> input_names;  // forward's parameters, without self
  long long output_count = 0;            // -1: forward returns an unsized List[Tensor]
};

// Loads a torch.jit.save blob for `device` (CPU..., GPU, GPU:n). On failure sets `err`.
bool Load(const std::string& blob, const std::string& device, Loaded* out, std::string* err);

// Runs forward positionally with gradients off. `expected_outputs` < 0 accepts any count.
bool Run(Module& module, const std::vector<TensorPtr>& inputs, long long expected_outputs,
         std::vector<TensorPtr>* outputs, std::string* err);

class ScriptUnit;  // a compiled TorchScript compilation unit (AI.SCRIPTSTORE)

// Parses a script device loosely (spec Q6): CPU... is CPU, GPU / GPU:n is CUDA. On failure
// sets `err` ("ERR unsupported device" or the no-CUDA text).
bool CheckScriptDevice(const std::string& device, std::string* err);

// Compiles `source` and checks each entry point's signature (spec §2.9).
bool CompileScript(const std::string& source, const std::vector<std::string>& entry_points,
                   std::shared_ptr<ScriptUnit>* out, std::string* err);

// Runs `fn`. In entry-point mode it is called as fn(tensors, keys, args); in legacy mode the
// inputs are bound to its parameters (spec §5.2). `expected_outputs` 0 discards the result.
bool RunScript(ScriptUnit& unit, const std::string& fn, bool entry_point,
               const std::vector<TensorPtr>& inputs, const std::vector<std::string>& keys,
               const std::vector<std::string>& args, long long expected_outputs,
               std::vector<TensorPtr>* outputs, std::string* err);

// Prepares the calling worker thread for running TorchScript (see torch_load.cpp).
void InitWorkerThread();

// Applies torch's global thread settings (0 keeps the default).
bool SetThreads(long long intra, long long inter, std::string* err);

// Lets torch run operators through oneDNN (its default) or not, for every model.
void UseOneDnn(bool enabled);

}  // namespace rai::torchb
