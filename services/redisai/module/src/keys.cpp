// Data type registration and typed key access.
#include "keys.h"

#include "rm_api.h"

namespace rai::keys {

namespace {

constexpr int kEncodingVersion = 4;
RedisModuleType* g_tensor_type = nullptr;
RedisModuleType* g_model_type = nullptr;
RedisModuleType* g_script_type = nullptr;

}  // namespace

bool RegisterTypes(RedisModuleCtx* ctx) {
  rm::TypeMethods tensor{rm::TYPE_METHOD_VERSION, TensorRdbLoad, TensorRdbSave,
                         TensorAofRewrite,        TensorMemUsage, nullptr,
                         TensorFree};
  g_tensor_type = rm::CreateDataType(ctx, "AI_TENSOR", kEncodingVersion, &tensor);
  rm::TypeMethods model{rm::TYPE_METHOD_VERSION, ModelRdbLoad, ModelRdbSave, ModelAofRewrite,
                        ModelMemUsage,           nullptr,      ModelFree};
  g_model_type = rm::CreateDataType(ctx, "AI__MODEL", kEncodingVersion, &model);
  rm::TypeMethods script{rm::TYPE_METHOD_VERSION, ScriptRdbLoad, ScriptRdbSave,
                         ScriptAofRewrite,        ScriptMemUsage, nullptr,
                         ScriptFree};
  g_script_type = rm::CreateDataType(ctx, "AI_SCRIPT", kEncodingVersion, &script);
  return g_tensor_type != nullptr && g_model_type != nullptr && g_script_type != nullptr;
}

RedisModuleType* TensorType() { return g_tensor_type; }
RedisModuleType* ModelType() { return g_model_type; }
RedisModuleType* ScriptType() { return g_script_type; }

Key::Key(RedisModuleCtx* ctx, RedisModuleString* name, int mode)
    : key_(rm::OpenKey(ctx, name, mode)) {}

Key::~Key() {
  if (key_) rm::CloseKey(key_);
}

Kind Key::kind() const {
  int type = rm::KeyType(key_);
  if (type == rm::KEYTYPE_EMPTY) return Kind::Empty;
  if (type != rm::KEYTYPE_MODULE) return Kind::Other;
  RedisModuleType* mt = rm::ModuleTypeGetType(key_);
  if (mt == g_tensor_type) return Kind::Tensor;
  if (mt == g_model_type) return Kind::Model;
  if (mt == g_script_type) return Kind::Script;
  return Kind::Other;
}

TensorPtr Key::tensor() const { return *static_cast<TensorPtr*>(rm::ModuleTypeGetValue(key_)); }

ModelPtr Key::model() const { return *static_cast<ModelPtr*>(rm::ModuleTypeGetValue(key_)); }

ScriptPtr Key::script() const {
  return *static_cast<ScriptPtr*>(rm::ModuleTypeGetValue(key_));
}

void Key::SetScript(ScriptPtr s) {
  rm::ModuleTypeSetValue(key_, g_script_type, new ScriptPtr(std::move(s)));
}

void Key::SetTensor(TensorPtr t) {
  rm::ModuleTypeSetValue(key_, g_tensor_type, new TensorPtr(std::move(t)));
}

void Key::SetModel(ModelPtr m) {
  rm::ModuleTypeSetValue(key_, g_model_type, new ModelPtr(std::move(m)));
}

void Key::Delete() { rm::DeleteKey(key_); }

}  // namespace rai::keys
