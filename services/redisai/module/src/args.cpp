// Implementation of the argument parsing helpers.
#include "args.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "rm_api.h"

namespace rai::args {

std::string_view View(const RedisModuleString* s) {
  size_t len = 0;
  const char* p = rm::StringPtrLen(s, &len);
  return {p, len};
}

std::string Str(const RedisModuleString* s) { return std::string(View(s)); }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool Is(const RedisModuleString* s, std::string_view kw) { return EqualsIgnoreCase(View(s), kw); }

bool ParseInt(std::string_view s, long long* out) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  if (s[i] == '0' && s.size() > i + 1) return false;  // no leading zeros
  if (s[i] == '0' && negative) return false;          // "-0" is not canonical
  unsigned long long v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    unsigned digit = static_cast<unsigned>(s[i] - '0');
    if (v > (~0ULL - digit) / 10) return false;
    v = v * 10 + digit;
  }
  if (negative) {
    if (v > 9223372036854775808ULL) return false;
    *out = v == 9223372036854775808ULL ? (-9223372036854775807LL - 1) : -static_cast<long long>(v);
  } else {
    if (v > 9223372036854775807ULL) return false;
    *out = static_cast<long long>(v);
  }
  return true;
}

bool ParseInt(const RedisModuleString* s, long long* out) { return ParseInt(View(s), out); }

bool ParseUnsigned(const RedisModuleString* s, unsigned long long* out) {
  long long v = 0;
  if (ParseInt(s, &v)) {
    if (v < 0) return false;
    *out = static_cast<unsigned long long>(v);
    return true;
  }
  std::string text = Str(s);
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return false;
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size()) return false;
  if (!std::isfinite(d) || d < 0 || d != std::floor(d) || d >= 9.2e18) return false;
  *out = static_cast<unsigned long long>(d);
  return true;
}

}  // namespace rai::args
