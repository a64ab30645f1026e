// Resolves the Redis module API function pointers declared in rm_api.h.
#include "rm_api.h"

namespace rai::rm {

#define RAI_RM_DEFINE(ret, name, args) ret(*name) args = nullptr;
RAI_RM_API(RAI_RM_DEFINE)
#undef RAI_RM_DEFINE

bool Init(RedisModuleCtx* ctx, const char* name, int version) {
  using GetApiFunc = int (*)(const char*, void*);
  // The server's module context starts with the GetApi function pointer.
  auto get_api = reinterpret_cast<GetApiFunc>(reinterpret_cast<void**>(ctx)[0]);
  bool ok = true;
#define RAI_RM_RESOLVE(ret, fn, args) \
  if (get_api("RedisModule_" #fn, reinterpret_cast<void*>(&fn)) != OK) ok = false;
  RAI_RM_API(RAI_RM_RESOLVE)
#undef RAI_RM_RESOLVE
  if (!ok) return false;
  SetModuleAttribs(ctx, name, version, APIVER_1);
  return true;
}

}  // namespace rai::rm
