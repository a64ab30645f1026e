// Building model values through their backend, and their statistics entries.
#include "model.h"

#include "args.h"
#include "errors.h"

namespace rai {

const char* BackendName(Backend b) {
  switch (b) {
    case Backend::TF: return "TF";
    case Backend::TFLITE: return "TFLITE";
    case Backend::TORCH: return "TORCH";
    case Backend::ONNX: return "ONNX";
  }
  return "TORCH";
}

std::optional<Backend> ParseBackend(std::string_view name) {
  for (Backend b : {Backend::TF, Backend::TFLITE, Backend::TORCH, Backend::ONNX}) {
    if (args::EqualsIgnoreCase(name, BackendName(b))) return b;
  }
  return std::nullopt;
}

Model::~Model() {
  if (stats) stats::Remove(stats.get());
}

std::shared_ptr<Model> BuildModel(ModelSpec spec, std::string* err) {
  if (spec.backend != Backend::TORCH) {
    // Only libtorch is linked in; the spec allows this reply for the other backends (§5.3).
    *err = err::kCouldNotLoadBackend;
    return nullptr;
  }
  torchb::Loaded loaded;
  if (!torchb::Load(spec.blob, spec.device, &loaded, err)) return nullptr;
  auto model = std::make_shared<Model>();
  model->spec = std::move(spec);
  model->torch = std::move(loaded.module);
  model->input_names = std::move(loaded.input_names);
  model->ninputs = static_cast<long long>(model->input_names.size());
  model->noutputs = loaded.output_count;
  if (model->noutputs > 0) model->output_names.assign(model->noutputs, "");
  return model;
}

void RegisterStats(Model* model, const std::string& key) {
  auto entry = std::make_shared<RunStats>();
  entry->key = key;
  entry->type = "MODEL";
  entry->backend = BackendName(model->spec.backend);
  entry->device = model->spec.device;
  entry->tag = model->spec.tag;
  model->stats = entry;
  stats::Put(entry);
}

}  // namespace rai
