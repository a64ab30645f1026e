// The model value: what AI.MODELSTORE recorded plus the backend's loaded module (spec §2.3).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stats.h"
#include "torch_backend.h"

namespace rai {

enum class Backend { TF = 0, TFLITE = 1, TORCH = 2, ONNX = 3 };  // values are RDB codes

const char* BackendName(Backend b);
std::optional<Backend> ParseBackend(std::string_view name);

// Everything a store command (or an RDB file) specifies about a model.
struct ModelSpec {
  Backend backend = Backend::TORCH;
  std::string device;
  std::string tag;
  unsigned long long batchsize = 0;
  unsigned long long minbatchsize = 0;
  unsigned long long minbatchtimeout = 0;
  std::vector<std::string> inputs;   // TF node names (empty for other backends)
  std::vector<std::string> outputs;
  std::string blob;
};

struct Model {
  ModelSpec spec;
  std::vector<std::string> input_names;   // what MODELGET reports
  std::vector<std::string> output_names;
  long long ninputs = 0;
  long long noutputs = 0;                 // -1: any number (forward returns List[Tensor])
  std::shared_ptr<torchb::Module> torch;
  StatsPtr stats;

  ~Model();
};

using ModelPtr = std::shared_ptr<const Model>;

// Builds the model through its backend. On failure returns nullptr with the reply text in `err`.
std::shared_ptr<Model> BuildModel(ModelSpec spec, std::string* err);

// Gives the model a fresh statistics entry under `key` (spec: re-storing resets the entry).
void RegisterStats(Model* model, const std::string& key);

}  // namespace rai
