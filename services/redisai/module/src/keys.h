// The module's Redis data types (AI_TENSOR, AI__MODEL, AI_SCRIPT) and typed access to keys
// holding them.
#pragma once

#include <string>
#include <vector>

#include "model.h"
#include "script.h"
#include "tensor.h"

struct RedisModuleCtx;
struct RedisModuleIO;
struct RedisModuleKey;
struct RedisModuleString;
struct RedisModuleType;

namespace rai::keys {

// Registers the data types; false if the server refused one.
bool RegisterTypes(RedisModuleCtx* ctx);
RedisModuleType* TensorType();
RedisModuleType* ModelType();
RedisModuleType* ScriptType();

enum class Kind { Empty, Tensor, Model, Script, Other };

// An open key, closed when the object goes out of scope.
class Key {
 public:
  Key(RedisModuleCtx* ctx, RedisModuleString* name, int mode);
  ~Key();
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;

  Kind kind() const;
  TensorPtr tensor() const;  // only when kind() == Tensor
  ModelPtr model() const;    // only when kind() == Model
  ScriptPtr script() const;  // only when kind() == Script
  void SetTensor(TensorPtr t);
  void SetModel(ModelPtr m);
  void SetScript(ScriptPtr s);
  void Delete();

 private:
  RedisModuleKey* key_;
};

// Arguments (after the command name) of `AI.TENSORSET key DTYPE dims... BLOB data`, used for
// AOF rewrite and to replicate execution outputs. The caller frees them with FreeArgs.
std::vector<RedisModuleString*> TensorSetArgs(RedisModuleString* key, const Tensor& t);
void FreeArgs(std::vector<RedisModuleString*>& argv);
// One argument for such a list: a new string holding `s`, or a copy of `key`.
RedisModuleString* NewArg(const std::string& s);
RedisModuleString* KeyArg(RedisModuleString* key);

// RDB strings of models and scripts as the reference writes them: with their NUL, which
// loading strips (model_type.cpp).
void SaveCString(RedisModuleIO* io, const std::string& s);
std::string LoadCString(RedisModuleIO* io);

// Type callbacks, defined in tensor_type.cpp and model_type.cpp.
void* TensorRdbLoad(RedisModuleIO* io, int encver);
void TensorRdbSave(RedisModuleIO* io, void* value);
void TensorAofRewrite(RedisModuleIO* aof, RedisModuleString* key, void* value);
size_t TensorMemUsage(const void* value);
void TensorFree(void* value);
void* ModelRdbLoad(RedisModuleIO* io, int encver);
void ModelRdbSave(RedisModuleIO* io, void* value);
void ModelAofRewrite(RedisModuleIO* aof, RedisModuleString* key, void* value);
size_t ModelMemUsage(const void* value);
void ModelFree(void* value);
void* ScriptRdbLoad(RedisModuleIO* io, int encver);
void ScriptRdbSave(RedisModuleIO* io, void* value);
void ScriptAofRewrite(RedisModuleIO* aof, RedisModuleString* key, void* value);
size_t ScriptMemUsage(const void* value);
void ScriptFree(void* value);

}  // namespace rai::keys
