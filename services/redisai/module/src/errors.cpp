// Error reply helpers for the vocabulary in errors.h.
#include "errors.h"

#include "rm_api.h"

namespace rai::err {

std::string InvalidArgumentFor(const char* option) {
  return std::string("ERR Invalid argument for ") + option;
}

int WrongArity(RedisModuleCtx* ctx, RedisModuleString* cmd) {
  size_t len = 0;
  const char* name = rm::StringPtrLen(cmd, &len);
  return ReplyError(ctx, kArityPrefix + std::string(name, len) + "' command");
}

std::string ScriptSecondSection(const char* section) {
  return std::string("ERR Already Encountered ") + section + " scope in AI.SCRIPTEXECUTE command";
}

int ReplyError(RedisModuleCtx* ctx, const std::string& text) {
  std::string flat = text;
  for (char& c : flat) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return rm::ReplyWithError(ctx, flat.c_str());
}

}  // namespace rai::err
