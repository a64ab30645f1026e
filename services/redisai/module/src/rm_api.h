// Our own declarations of the parts of the Redis module API this module uses.
//
// Written from the documented module ABI: the server passes a context whose first field is
// the GetApi function; every other function is looked up by its exported name through it.
// We do not vendor redismodule.h. All pointers live in namespace rai::rm so they never clash
// with the RM_* symbols that redis-server exports.
#pragma once

#include <cstddef>
#include <cstdint>

struct RedisModuleCtx;
struct RedisModuleKey;
struct RedisModuleString;
struct RedisModuleIO;
struct RedisModuleType;
struct RedisModuleDigest;
struct RedisModuleBlockedClient;
struct RedisModuleInfoCtx;

namespace rai::rm {

constexpr int OK = 0;
constexpr int ERR = 1;
constexpr int APIVER_1 = 1;

constexpr int READ = 1 << 0;
constexpr int WRITE = 1 << 1;

constexpr int KEYTYPE_EMPTY = 0;
constexpr int KEYTYPE_MODULE = 6;

constexpr long POSTPONED_LEN = -1;

constexpr int CTX_FLAGS_LUA = 1 << 0;
constexpr int CTX_FLAGS_MULTI = 1 << 1;

inline const char* const kLogWarning = "warning";
inline const char* const kLogNotice = "notice";

constexpr uint64_t TYPE_METHOD_VERSION = 1;

using CmdFunc = int (*)(RedisModuleCtx*, RedisModuleString**, int);
using RdbLoadFunc = void* (*)(RedisModuleIO*, int);
using RdbSaveFunc = void (*)(RedisModuleIO*, void*);
using AofRewriteFunc = void (*)(RedisModuleIO*, RedisModuleString*, void*);
using MemUsageFunc = size_t (*)(const void*);
using DigestFunc = void (*)(RedisModuleDigest*, void*);
using FreeFunc = void (*)(void*);

// Layout of RedisModuleTypeMethods for method version 1.
struct TypeMethods {
  uint64_t version;
  RdbLoadFunc rdb_load;
  RdbSaveFunc rdb_save;
  AofRewriteFunc aof_rewrite;
  MemUsageFunc mem_usage;
  DigestFunc digest;
  FreeFunc free;
};

struct Event {
  uint64_t id;
  uint64_t dataver;
};
constexpr Event kEventShutdown{5, 1};
using EventCallback = void (*)(RedisModuleCtx*, Event, uint64_t, void*);
using InfoFunc = void (*)(RedisModuleInfoCtx*, int);

#define RAI_RM_API(X)                                                                          \
  X(void, SetModuleAttribs, (RedisModuleCtx*, const char*, int, int))                          \
  X(int, CreateCommand, (RedisModuleCtx*, const char*, CmdFunc, const char*, int, int, int))   \
  X(RedisModuleType*, CreateDataType, (RedisModuleCtx*, const char*, int, TypeMethods*))       \
  X(int, ReplyWithError, (RedisModuleCtx*, const char*))                                       \
  X(int, ReplyWithSimpleString, (RedisModuleCtx*, const char*))                                \
  X(int, ReplyWithStringBuffer, (RedisModuleCtx*, const char*, size_t))                        \
  X(int, ReplyWithString, (RedisModuleCtx*, RedisModuleString*))                               \
  X(int, ReplyWithLongLong, (RedisModuleCtx*, long long))                                      \
  X(int, ReplyWithDouble, (RedisModuleCtx*, double))                                           \
  X(int, ReplyWithArray, (RedisModuleCtx*, long))                                              \
  X(void, ReplySetArrayLength, (RedisModuleCtx*, long))                                        \
  X(int, ReplyWithNull, (RedisModuleCtx*))                                                     \
  X(const char*, StringPtrLen, (const RedisModuleString*, size_t*))                            \
  X(RedisModuleString*, CreateString, (RedisModuleCtx*, const char*, size_t))                  \
  X(void, FreeString, (RedisModuleCtx*, RedisModuleString*))                                   \
  X(int, StringToLongLong, (const RedisModuleString*, long long*))                             \
  X(int, StringToDouble, (const RedisModuleString*, double*))                                  \
  X(RedisModuleKey*, OpenKey, (RedisModuleCtx*, RedisModuleString*, int))                      \
  X(void, CloseKey, (RedisModuleKey*))                                                         \
  X(int, KeyType, (RedisModuleKey*))                                                           \
  X(int, DeleteKey, (RedisModuleKey*))                                                         \
  X(RedisModuleType*, ModuleTypeGetType, (RedisModuleKey*))                                    \
  X(void*, ModuleTypeGetValue, (RedisModuleKey*))                                              \
  X(int, ModuleTypeSetValue, (RedisModuleKey*, RedisModuleType*, void*))                       \
  X(int, ReplicateVerbatim, (RedisModuleCtx*))                                                 \
  X(int, Replicate, (RedisModuleCtx*, const char*, const char*, ...))                          \
  X(int, GetContextFlags, (RedisModuleCtx*))                                                   \
  X(int, IsKeysPositionRequest, (RedisModuleCtx*))                                             \
  X(void, KeyAtPos, (RedisModuleCtx*, int))                                                    \
  X(RedisModuleBlockedClient*, BlockClient,                                                    \
    (RedisModuleCtx*, CmdFunc, CmdFunc, void (*)(RedisModuleCtx*, void*), long long))          \
  X(int, UnblockClient, (RedisModuleBlockedClient*, void*))                                    \
  X(int, AbortBlock, (RedisModuleBlockedClient*))                                              \
  X(void*, GetBlockedClientPrivateData, (RedisModuleCtx*))                                     \
  X(void, SaveUnsigned, (RedisModuleIO*, uint64_t))                                            \
  X(uint64_t, LoadUnsigned, (RedisModuleIO*))                                                  \
  X(void, SaveSigned, (RedisModuleIO*, int64_t))                                               \
  X(int64_t, LoadSigned, (RedisModuleIO*))                                                     \
  X(void, SaveStringBuffer, (RedisModuleIO*, const char*, size_t))                             \
  X(char*, LoadStringBuffer, (RedisModuleIO*, size_t*))                                        \
  X(int, IsIOError, (RedisModuleIO*))                                                          \
  X(const RedisModuleString*, GetKeyNameFromIO, (RedisModuleIO*))                              \
  X(void, EmitAOF, (RedisModuleIO*, const char*, const char*, ...))                            \
  X(void, Free, (void*))                                                                       \
  X(void, Log, (RedisModuleCtx*, const char*, const char*, ...))                               \
  X(int, SubscribeToServerEvent, (RedisModuleCtx*, Event, EventCallback))                      \
  X(int, RegisterInfoFunc, (RedisModuleCtx*, InfoFunc))                                        \
  X(int, InfoAddSection, (RedisModuleInfoCtx*, const char*))                                   \
  X(int, InfoAddFieldCString, (RedisModuleInfoCtx*, const char*, const char*))                 \
  X(int, InfoAddFieldLongLong, (RedisModuleInfoCtx*, const char*, long long))                  \
  X(int, InfoAddFieldDouble, (RedisModuleInfoCtx*, const char*, double))

#define RAI_RM_DECLARE(ret, name, args) extern ret(*name) args;
RAI_RM_API(RAI_RM_DECLARE)
#undef RAI_RM_DECLARE

// Resolves every function above through the context's GetApi pointer and registers the
// module name. Returns false (after which the module must fail to load) if one is missing.
bool Init(RedisModuleCtx* ctx, const char* name, int version);

}  // namespace rai::rm
