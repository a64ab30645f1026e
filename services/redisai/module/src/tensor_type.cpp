// AI_TENSOR type callbacks: RDB save/load (reference v4 layout, spec §4.7), AOF rewrite, free.
#include <string>

#include "keys.h"
#include "rm_api.h"

namespace rai::keys {

RedisModuleString* NewArg(const std::string& s) {
  return rm::CreateString(nullptr, s.data(), s.size());
}

RedisModuleString* KeyArg(RedisModuleString* key) {
  size_t len = 0;
  const char* k = rm::StringPtrLen(key, &len);
  return rm::CreateString(nullptr, k, len);
}

std::vector<RedisModuleString*> TensorSetArgs(RedisModuleString* key, const Tensor& t) {
  std::vector<RedisModuleString*> argv{KeyArg(key), NewArg(Info(t.dtype).name)};
  for (int64_t d : t.shape) argv.push_back(NewArg(std::to_string(d)));
  argv.push_back(NewArg("BLOB"));
  argv.push_back(NewArg(t.data));
  return argv;
}

void FreeArgs(std::vector<RedisModuleString*>& argv) {
  for (RedisModuleString* s : argv) rm::FreeString(nullptr, s);
  argv.clear();
}

void* TensorRdbLoad(RedisModuleIO* io, int encver) {
  if (encver != 4) return nullptr;
  uint64_t code = rm::LoadUnsigned(io);
  uint64_t bits = rm::LoadUnsigned(io);
  int64_t ndims = rm::LoadSigned(io);
  auto dtype = DTypeFromRdb(code, bits);
  if (!dtype || ndims < 0 || ndims > 1024) return nullptr;
  auto t = std::make_shared<Tensor>();
  t->dtype = *dtype;
  for (int64_t i = 0; i < ndims; ++i) t->shape.push_back(rm::LoadSigned(io));
  size_t len = 0;
  char* data = rm::LoadStringBuffer(io, &len);
  if (data == nullptr) return nullptr;
  t->data.assign(data, len);
  rm::Free(data);
  if (t->dtype == DType::String) {
    for (size_t i = 0; i < t->Count(); ++i) rm::LoadUnsigned(io);  // recomputed below
    if (!IndexStrings(t.get())) return nullptr;
  }
  if (rm::IsIOError(io)) return nullptr;
  return new TensorPtr(std::move(t));
}

void TensorRdbSave(RedisModuleIO* io, void* value) {
  const Tensor& t = **static_cast<TensorPtr*>(value);
  const DTypeInfo& info = Info(t.dtype);
  rm::SaveUnsigned(io, info.rdb_code);
  rm::SaveUnsigned(io, info.rdb_bits);
  rm::SaveSigned(io, static_cast<int64_t>(t.shape.size()));
  for (int64_t d : t.shape) rm::SaveSigned(io, d);
  rm::SaveStringBuffer(io, t.data.data(), t.data.size());
  if (t.dtype == DType::String) {
    for (uint64_t off : t.offsets) rm::SaveUnsigned(io, off);
  }
}

void TensorAofRewrite(RedisModuleIO* aof, RedisModuleString* key, void* value) {
  std::vector<RedisModuleString*> argv = TensorSetArgs(key, **static_cast<TensorPtr*>(value));
  rm::EmitAOF(aof, "AI.TENSORSET", "v", argv.data(), argv.size());
  FreeArgs(argv);
}

size_t TensorMemUsage(const void* value) {
  const Tensor& t = **static_cast<const TensorPtr*>(value);
  return sizeof(Tensor) + t.data.size() + t.shape.size() * sizeof(int64_t) +
         t.offsets.size() * sizeof(uint64_t);
}

void TensorFree(void* value) { delete static_cast<TensorPtr*>(value); }

}  // namespace rai::keys
