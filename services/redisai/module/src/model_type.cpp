// AI__MODEL type callbacks: RDB save/load (reference v4 layout, spec §4.7), AOF rewrite, free.
#include <string>

#include "args.h"
#include "config.h"
#include "keys.h"
#include "queue.h"
#include "rm_api.h"

namespace rai::keys {

void SaveCString(RedisModuleIO* io, const std::string& s) {
  rm::SaveStringBuffer(io, s.c_str(), s.size() + 1);  // with its NUL, as the reference does
}

std::string LoadCString(RedisModuleIO* io) {
  size_t len = 0;
  char* p = rm::LoadStringBuffer(io, &len);
  if (p == nullptr) return {};
  std::string s(p, len);
  rm::Free(p);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

namespace {

std::vector<std::string> Chunks(const std::string& blob) {
  // k = floor(L / C) + 1 chunks; the last one may be empty (spec §2.5, Q3).
  size_t c = static_cast<size_t>(config().model_chunk_size);
  std::vector<std::string> out;
  for (size_t off = 0;; off += c) {
    out.push_back(blob.substr(off, std::min(c, blob.size() - off)));
    if (blob.size() - off < c) break;
  }
  return out;
}

}  // namespace

void* ModelRdbLoad(RedisModuleIO* io, int encver) {
  if (encver != 4) return nullptr;
  ModelSpec spec;
  uint64_t backend = rm::LoadUnsigned(io);
  if (backend > 3) return nullptr;
  spec.backend = static_cast<Backend>(backend);
  spec.device = LoadCString(io);
  spec.tag = LoadCString(io);
  spec.batchsize = rm::LoadUnsigned(io);
  spec.minbatchsize = rm::LoadUnsigned(io);
  spec.minbatchtimeout = rm::LoadUnsigned(io);
  uint64_t ninputs = rm::LoadUnsigned(io);
  std::vector<std::string> inputs, outputs;
  for (uint64_t i = 0; i < ninputs && !rm::IsIOError(io); ++i) inputs.push_back(LoadCString(io));
  uint64_t noutputs = rm::LoadUnsigned(io);
  for (uint64_t i = 0; i < noutputs && !rm::IsIOError(io); ++i)
    outputs.push_back(LoadCString(io));
  uint64_t blob_len = rm::LoadUnsigned(io);
  uint64_t nchunks = rm::LoadUnsigned(io);
  for (uint64_t i = 0; i < nchunks && !rm::IsIOError(io); ++i) {
    size_t len = 0;
    char* p = rm::LoadStringBuffer(io, &len);
    if (p == nullptr) return nullptr;
    spec.blob.append(p, len);
    rm::Free(p);
  }
  if (rm::IsIOError(io) || spec.blob.size() != blob_len) return nullptr;
  if (spec.backend == Backend::TF) {
    spec.inputs = std::move(inputs);
    spec.outputs = std::move(outputs);
  }
  std::string error;
  std::shared_ptr<Model> model = BuildModel(std::move(spec), &error);
  if (!model) {
    rm::Log(nullptr, rm::kLogWarning, "AI: could not rebuild model from RDB: %s", error.c_str());
    return nullptr;
  }
  if (!queues::Ensure(model->spec.device)) return nullptr;
  const RedisModuleString* key = rm::GetKeyNameFromIO(io);
  // Every value needs an entry: workers count into it.
  RegisterStats(model.get(), key ? args::Str(key) : std::string());
  return new ModelPtr(std::move(model));
}

void ModelRdbSave(RedisModuleIO* io, void* value) {
  const Model& m = **static_cast<ModelPtr*>(value);
  rm::SaveUnsigned(io, static_cast<uint64_t>(m.spec.backend));
  SaveCString(io, m.spec.device);
  rm::SaveStringBuffer(io, m.spec.tag.data(), m.spec.tag.size());
  rm::SaveUnsigned(io, m.spec.batchsize);
  rm::SaveUnsigned(io, m.spec.minbatchsize);
  rm::SaveUnsigned(io, m.spec.minbatchtimeout);
  rm::SaveUnsigned(io, m.input_names.size());
  for (const auto& n : m.input_names) SaveCString(io, n);
  rm::SaveUnsigned(io, m.output_names.size());
  for (const auto& n : m.output_names) SaveCString(io, n);
  rm::SaveUnsigned(io, m.spec.blob.size());
  std::vector<std::string> chunks = Chunks(m.spec.blob);
  rm::SaveUnsigned(io, chunks.size());
  for (const auto& c : chunks) rm::SaveStringBuffer(io, c.data(), c.size());
}

void ModelAofRewrite(RedisModuleIO* aof, RedisModuleString* key, void* value) {
  const Model& m = **static_cast<ModelPtr*>(value);
  std::vector<RedisModuleString*> argv{KeyArg(key)};
  for (const std::string& s :
       {std::string(BackendName(m.spec.backend)), m.spec.device, std::string("TAG"), m.spec.tag,
        std::string("BATCHSIZE"), std::to_string(m.spec.batchsize), std::string("MINBATCHSIZE"),
        std::to_string(m.spec.minbatchsize), std::string("MINBATCHTIMEOUT"),
        std::to_string(m.spec.minbatchtimeout)})
    argv.push_back(NewArg(s));
  if (m.spec.backend == Backend::TF) {
    argv.push_back(NewArg("INPUTS"));
    argv.push_back(NewArg(std::to_string(m.spec.inputs.size())));
    for (const auto& n : m.spec.inputs) argv.push_back(NewArg(n));
    argv.push_back(NewArg("OUTPUTS"));
    argv.push_back(NewArg(std::to_string(m.spec.outputs.size())));
    for (const auto& n : m.spec.outputs) argv.push_back(NewArg(n));
  }
  argv.push_back(NewArg("BLOB"));
  for (const auto& c : Chunks(m.spec.blob)) argv.push_back(NewArg(c));
  rm::EmitAOF(aof, "AI.MODELSTORE", "v", argv.data(), argv.size());
  FreeArgs(argv);
}

size_t ModelMemUsage(const void* value) {
  const Model& m = **static_cast<const ModelPtr*>(value);
  return sizeof(Model) + m.spec.blob.size();
}

void ModelFree(void* value) { delete static_cast<ModelPtr*>(value); }

}  // namespace rai::keys
