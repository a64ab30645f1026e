// Argument parsing helpers shared by every command: keyword matching and the spec's number rules.
#pragma once

#include <string>
#include <string_view>

struct RedisModuleString;

namespace rai::args {

std::string_view View(const RedisModuleString* s);
std::string Str(const RedisModuleString* s);
std::string Upper(std::string_view s);

// True when `s` equals the keyword `kw`, ignoring ASCII case.
bool Is(const RedisModuleString* s, std::string_view kw);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Strict decimal long long: no '+', no spaces, no leading zeros (spec §0).
bool ParseInt(const RedisModuleString* s, long long* out);
bool ParseInt(std::string_view s, long long* out);

// Unsigned option: a strict non-negative integer or an integral float spelling like 2.0 or 1e3.
bool ParseUnsigned(const RedisModuleString* s, unsigned long long* out);

}  // namespace rai::args
